using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Reports;

// --check: only read the arguments and the profile (make load checks them before it starts a platform).
bool checkOnly = args.Contains("--check");
LoadOptions options;
try { options = LoadOptions.Parse(args.Where(a => a != "--check").ToArray()); }
catch (Exception e) when (e is ArgumentException or ProfileException or FormatException)
{
    Console.Error.WriteLine($"chatload: {e.Message}");
    return 2;
}
if (checkOnly)
{
    Console.WriteLine($"profile {options.Profile.Name}: {options.Profile.Phases.Count} phases, {options.Profile.Duration.TotalSeconds:F0} s, {options.Thresholds.Count} thresholds"
        + (options.Profile.Workers > 1 ? $", {options.Profile.Workers} worker processes" : ""));
    return 0;
}
// A worker of a run from several processes: its share of the run, its results to a file, no report (its coordinator writes it).
if (options.Worker is not null) return await new LoadRun(options, new Tokens(options.SigningKeyFile)).RunWorkerAsync(Console.In, Console.Out);
LoadReport report;
try { report = await new LoadRun(options, new Tokens(options.SigningKeyFile)).ExecuteAsync(); }
catch (LoadRun.WorkerFailed e)
{
    Console.Error.WriteLine($"chatload: {e.Message}");
    return 1;
}
report.Print(Console.Out);
var directory = ReportFiles.Write(report, options.ReportDirectory);
Console.WriteLine($"report: {directory}/ (summary.json, samples.csv, report.md, report.html)");
if (!report.Passed) Console.WriteLine("RUN FAILED: " + string.Join("; ", report.Thresholds().Where(t => !t.Passed).Select(t => t.Threshold.Text)
    .Prepend(report.Audit.Passed ? null : "the audit").OfType<string>()));
return report.Passed ? 0 : 1;
