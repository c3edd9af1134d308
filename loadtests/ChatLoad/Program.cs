using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Profiles;

LoadOptions options;
try { options = LoadOptions.Parse(args); }
catch (Exception e) when (e is ArgumentException or ProfileException or FormatException)
{
    Console.Error.WriteLine($"chatload: {e.Message}");
    return 2;
}
var report = await new LoadRun(options, new Tokens(options.SigningKeyFile)).ExecuteAsync();
report.Print(Console.Out);
var (json, markdown) = report.Write(options.ReportDirectory);
Console.WriteLine($"report: {markdown} and {json}");
if (!report.Passed) Console.WriteLine("RUN FAILED: " + string.Join("; ", report.Thresholds().Where(t => !t.Passed).Select(t => t.Threshold.Text)
    .Prepend(report.Audit.Passed ? null : "the audit").OfType<string>()));
return report.Passed ? 0 : 1;
