using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Scenarios;
using HdrHistogram;

namespace CustomerService.ChatLoad;

/// <summary>The figures of one phase: what was sent and acked in it, the latency of what was sent in it, its CPU.</summary>
public sealed record PhaseResult(Phase Phase, TimeSpan Elapsed, long Sent, long Acked, long Errors, long Dropped, LongHistogram Latency,
    IReadOnlyList<ProcessShare> Processes);

public sealed record ThresholdResult(Threshold Threshold, double Actual, bool Passed);

/// <summary>
/// What a run found: per phase and for the whole run, the audit, the CPU per process, the per-second timeline and
/// the thresholds, printed here and written by <see cref="Reports.ReportFiles"/>.
/// </summary>
public sealed record LoadReport(LoadOptions Options, IReadOnlyList<PhaseResult> Phases, TimeSpan Elapsed, long SetupErrors, long Assignments,
    long ContextReady, AuditResult Audit, IReadOnlyList<ProcessShare> Processes, IReadOnlyList<SecondFigures> Timeline,
    IReadOnlyList<RunMark> Marks, SocketFigures Sockets, DateTime StartedAt, IReadOnlyList<ScenarioResult>? Scenarios = null)
{
    /// <summary>The run's errors by the code of their error frame (<c>unavailable</c>, <c>internal</c>, <c>rate_limited</c>…), in order.</summary>
    public IReadOnlyDictionary<string, long> ErrorCodes { get; init; } = new SortedDictionary<string, long>();

    private string ByCode() => ErrorCodes.Count == 0 ? "" : "; by code: " + string.Join(", ", ErrorCodes.Select(c => $"{c.Key} {c.Value}"));

    private static double Ms(LongHistogram h, double percentile) =>
        h.TotalCount == 0 ? double.NaN : h.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;

    private static IReadOnlyDictionary<string, double> Figures(TimeSpan elapsed, long sent, long acked, long errors, long dropped, LongHistogram latency) =>
        new Dictionary<string, double>
        {
            ["msg_per_s"] = elapsed.TotalSeconds > 0 ? acked / elapsed.TotalSeconds : 0,
            ["sent"] = sent,
            ["acked"] = acked,
            ["e2e_p50_ms"] = Ms(latency, 50),
            ["e2e_p95_ms"] = Ms(latency, 95),
            ["e2e_p99_ms"] = Ms(latency, 99),
            ["e2e_max_ms"] = Ms(latency, 100),
            ["errors"] = errors,
            ["error_rate"] = sent == 0 ? (errors > 0 ? 1 : 0) : (double)errors / sent,
            ["dropped"] = dropped,
        };

    public IReadOnlyDictionary<string, double> PhaseFigures(PhaseResult p) => Figures(p.Elapsed, p.Sent, p.Acked, p.Errors, p.Dropped, p.Latency);

    private IReadOnlyDictionary<string, double>? _runFigures;
    private IReadOnlyList<ThresholdResult>? _thresholds;

    /// <summary>The whole run's figures (computed once: merging every phase's histogram is not free).</summary>
    public IReadOnlyDictionary<string, double> RunFigures() => _runFigures ??= ComputeRunFigures();

    private IReadOnlyDictionary<string, double> ComputeRunFigures()
    {
        var merged = new LongHistogram(TimeStamp.Seconds(120), 3);
        foreach (var p in Phases) merged.Add(p.Latency);
        var figures = new Dictionary<string, double>(Figures(Elapsed, Phases.Sum(p => p.Sent), Phases.Sum(p => p.Acked),
            Phases.Sum(p => p.Errors) + SetupErrors, Phases.Sum(p => p.Dropped), merged))
        {
            ["lost"] = Audit.Lost,
            ["doubled"] = Audit.Doubled,
            ["unassigned"] = Audit.Unassigned,
            ["archive_lost"] = Audit.Archive?.Lost ?? 0,
            ["archive_doubled"] = Audit.Archive?.Doubled ?? 0,
            ["reconnects"] = Sockets.Reconnects,
            ["drills_failed"] = Marks.Count(m => m.Kind == "drill" && m.Outcome?.StartsWith(Drills.DrillOutcome.FailedPrefix, StringComparison.Ordinal) == true),
        };
        return figures;
    }

    public IReadOnlyList<ThresholdResult> Thresholds() => _thresholds ??= EvaluateThresholds();

    private IReadOnlyList<ThresholdResult> EvaluateThresholds()
    {
        var run = RunFigures();
        return Options.Thresholds.Select(t =>
        {
            var figures = t.Phase is null ? run : PhaseFigures(Phases.First(p => p.Phase.Name == t.Phase));
            var actual = figures[t.Metric];
            return new ThresholdResult(t, actual, !double.IsNaN(actual) && t.Holds(actual));
        }).ToList();
    }

    /// <summary>Passed: the audit found nothing lost or doubled and every threshold holds.</summary>
    public bool Passed => Audit.Passed && Thresholds().All(t => t.Passed);

    private static string F(double v, string format = "F1") => double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);

    public void Print(TextWriter output)
    {
        var profile = Options.Profile;
        output.WriteLine($"profile {profile.Name}: customers={profile.Customers} agents={profile.Agents} window={profile.Window} arrivals/s={(profile.ArrivalsPerSecond > 0 ? F(profile.ArrivalsPerSecond, "G") : "all at once")} rate scale={F(Options.RateScale, "G")} seconds={F(Elapsed.TotalSeconds)}{(profile.Workers > 1 ? $" workers={profile.Workers} (one report merged from their results; the tool's CPU line is every worker and the coordinator)" : "")}");
        output.WriteLine($"  {"phase",-16} {"model",-13} {"s",5} {"target/s",9} {"acked/s",8} {"sent",8} {"acked",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"errors",6} {"dropped",7} {"platform µs/msg",15}");
        foreach (var p in Phases)
        {
            var f = PhaseFigures(p);
            var platform = p.Processes.Where(x => x.Name != PlatformProcesses.LoadTool).Sum(x => x.CpuMicrosPerMessage);
            output.WriteLine($"  {p.Phase.Name,-16} {p.Phase.ModelName,-13} {F(p.Elapsed.TotalSeconds, "F0"),5} {Target(p.Phase),9} {F(f["msg_per_s"], "F0"),8} {p.Sent,8} {p.Acked,8} {F(f["e2e_p50_ms"]),8} {F(f["e2e_p99_ms"]),8} {F(f["e2e_max_ms"]),8} {p.Errors,6} {p.Dropped,7} {F(p.Acked > 0 ? platform : double.NaN, "F0"),15}");
        }
        var run = RunFigures();
        output.WriteLine($"messages/s (acked, durable): {F(run["msg_per_s"], "F0")}");
        output.WriteLine($"end-to-end customer→agent latency ms: p50={F(run["e2e_p50_ms"], "F2")} p95={F(run["e2e_p95_ms"], "F2")} p99={F(run["e2e_p99_ms"], "F2")} max={F(run["e2e_max_ms"], "F2")} (n={Phases.Sum(p => p.Latency.TotalCount)})");
        output.WriteLine($"customer context ready at assignment: {ContextReady} of {Assignments} ({(Assignments == 0 ? 0 : 100.0 * ContextReady / Assignments):F1}%)");
        output.WriteLine($"errors: {run["errors"]} (before the phases: {SetupErrors}; of them rate_limited frames: {Sockets.RateLimited}{ByCode()}); dropped (open model, every window full): {run["dropped"]}");
        output.WriteLine($"sockets: at most {Sockets.Peak} open at once; refused by the gateway with 429: {Sockets.Refused429} sockets{(Audit.Archive is { Refused: > 0 } a ? $", {a.Refused} transcript reads" : "")}; reconnects: {Sockets.Reconnects} (unacked messages sent again: {Sockets.Resent}; resumes for a hole: {Sockets.GapResumes}; hellos said again after an error: {Sockets.HelloRetries})");
        output.WriteLine($"audit: acked={Audit.Acked} delivered to the agent's socket={Audit.Delivered} lost={Audit.Lost} (in {Audit.ConversationsWithLoss} conversations) doubled={Audit.Doubled} never assigned={Audit.Unassigned} repeated live frames={Audit.RepeatedLive}");
        if (Audit.Archive is { } archive)
            output.WriteLine($"archive: archived={archive.Archived} lost={archive.Lost} doubled={archive.Doubled} (429 while reading: {archive.Refused})");
        PrintScenarios(output);
        foreach (var example in Audit.LostExamples) output.WriteLine($"  lost in {example}");
        output.WriteLine(Audit.Passed ? "audit passed" : "AUDIT FAILED");
        foreach (var t in Thresholds())
            output.WriteLine($"threshold {t.Threshold.Text}: {(t.Passed ? "passed" : "FAILED")} (actual {F(t.Actual, "G4")})");
        foreach (var m in Marks.Where(m => m.Kind != "phase"))
            output.WriteLine($"{m.Kind} at {m.AtSeconds:F1} s: {m.Label}{(m.RecoverySeconds is { } r ? $", recovered in {r:F1} s" : "")}{(m.Outcome is { } o ? $" ({o})" : "")}");
        PrintTimeline(output);
        if (Processes.Count == 0) return;
        output.WriteLine($"CPU and memory over the phases (100% = one core; µs of CPU per acked message), load average {File.ReadAllText("/proc/loadavg").Trim()}:");
        output.WriteLine($"  {"process",-28} {"n",3} {"CPU %",7} {"µs/msg",8} {"RSS MB",8}");
        foreach (var p in Processes.Where(p => p.CpuPercent >= 0.5 || p.Name == PlatformProcesses.LoadTool))
            output.WriteLine($"  {p.Name,-28} {p.Processes,3} {p.CpuPercent,7:F1} {p.CpuMicrosPerMessage,8:F0} {p.RssBytes / 1048576.0,8:F0}");
        var platformAll = Processes.Where(p => p.Name != PlatformProcesses.LoadTool).ToList();
        output.WriteLine($"  {"platform (all but the tool)",-28} {platformAll.Sum(p => p.Processes),3} {platformAll.Sum(p => p.CpuPercent),7:F1} {platformAll.Sum(p => p.CpuMicrosPerMessage),8:F0} {platformAll.Sum(p => p.RssBytes) / 1048576.0,8:F0}");
    }

    /// <summary>
    /// The scenarios as played: those of the mix, else (a profile without one) chat with the whole run's figures, as
    /// before mixes, and its steps.
    /// </summary>
    public IReadOnlyList<ScenarioResult> ScenarioList()
    {
        if (Scenarios is { Count: > 0 } played && Options.Profile.Scenarios.Count > 0) return played;
        var merged = new LongHistogram(TimeStamp.Seconds(120), 3);
        foreach (var p in Phases) merged.Add(p.Latency);
        var run = RunFigures();
        return [new ScenarioResult("chat", Options.Profile.Customers, (long)run["sent"], (long)run["acked"], (long)run["errors"], merged,
            Scenarios?.FirstOrDefault()?.Steps ?? [])];
    }

    /// <summary>Per scenario: its players and messages, then a line per step (the customers' messages as the step <c>message</c>).</summary>
    private void PrintScenarios(TextWriter output)
    {
        output.WriteLine($"scenarios (per step: count, errors, latency p50/p99/max ms):");
        foreach (var s in ScenarioList())
        {
            bool customers = s.Latency is not null;
            output.WriteLine(customers
                ? $"  {s.Name} ({s.Users} customers): sent {s.Sent}, acked {s.Acked}, errors {s.Errors}"
                : $"  {s.Name} (staff)");
            foreach (var step in Rows(s))
                output.WriteLine($"    {step.Name,-14} {step.Count,8} {step.Errors,6} {F(step.P50),9} {F(step.P99),9} {F(step.Max),9}");
        }
    }

    /// <summary>A scenario's steps as report rows; customers' messages are the step <c>message</c> (count: acked; latency: customer→agent).</summary>
    public static IReadOnlyList<(string Name, long Count, long Errors, double P50, double P99, double Max)> Rows(ScenarioResult s)
    {
        var rows = s.Steps.Select(x => (x.Name, x.Count, x.Errors, x.Ms(50), x.Ms(99), x.Ms(100))).ToList();
        if (s.Latency is not null) rows.Add(("message", s.Acked, s.Errors, s.Ms(50), s.Ms(99), s.Ms(100)));
        return rows;
    }

    private static string Target(Phase p) => p.Model switch
    {
        LoadModel.Inject => F(p.Rate!.Value, "F0"),
        LoadModel.RampInject => $"{p.From:F0}→{p.To:F0}",
        LoadModel.RandomInject => $"{p.Min:F0}–{p.Max:F0}",
        LoadModel.KeepConstant => $"{p.Customers}c",
        LoadModel.RampConstant => $"{p.From:F0}→{p.To:F0}c",
        _ => "-",
    };

    /// <summary>The per-second timeline, condensed to about 30 lines on the console (the files have every second).</summary>
    private void PrintTimeline(TextWriter output)
    {
        if (Timeline.Count == 0) return;
        int step = Math.Max(1, (int)Math.Ceiling(Timeline.Count / 30.0));
        output.WriteLine($"timeline (every {step} s: sent/s, acked/s, p50/p99 ms of what agents received in that second):");
        for (int s = 0; s < Timeline.Count; s += step)
        {
            var seconds = Timeline.Skip(s).Take(step).ToList();
            double sent = seconds.Average(x => x.Sent), acked = seconds.Average(x => x.Acked);
            var p99 = seconds.Where(x => !double.IsNaN(x.P99Ms)).Select(x => x.P99Ms).DefaultIfEmpty(double.NaN).Max();
            var p50 = seconds.Where(x => !double.IsNaN(x.P50Ms)).Select(x => x.P50Ms).DefaultIfEmpty(double.NaN).Average();
            output.WriteLine($"  {s,4}s {PhaseAt(s),-16} sent/s {sent,7:F0} acked/s {acked,7:F0} p50 {F(p50),7} p99 {F(p99),8}{(seconds.Sum(x => x.Errors) is > 0 and var e ? $" errors {e}" : "")}");
        }
    }

    public string PhaseAt(double second)
    {
        double start = 0;
        foreach (var p in Options.Profile.Phases)
        {
            if (second < start + p.Seconds) return p.Name;
            start += p.Seconds;
        }
        return "";
    }
}

/// <summary>
/// What the run saw of its sockets: the most open at once, upgrades the gateway refused with 429, frames Session
/// refused as rate_limited, sockets opened again after a drop, unacked messages sent again after a reconnect (same
/// clientId), resumes an agent sent for a hole in a conversation's seqs while its socket stayed open.
/// </summary>
public sealed record SocketFigures(long Peak, long Refused429, long RateLimited, long Reconnects = 0, long Resent = 0, long GapResumes = 0, long HelloRetries = 0);

/// <summary>One process group's share of a measured window.</summary>
public sealed record ProcessShare(string Name, int Processes, double CpuPercent, double CpuMicrosPerMessage, long RssBytes)
{
    public static IReadOnlyList<ProcessShare> Between(IReadOnlyDictionary<string, PlatformProcesses.Usage> before,
        IReadOnlyDictionary<string, PlatformProcesses.Usage> after, TimeSpan elapsed, long messages) =>
        after.Values.Select(a =>
        {
            double cpu = a.CpuSecondsSince(before.GetValueOrDefault(a.Name));
            return new ProcessShare(a.Name, a.Processes, elapsed.TotalSeconds > 0 ? 100 * cpu / elapsed.TotalSeconds : 0, messages == 0 ? 0 : cpu * 1e6 / messages, a.RssBytes);
        }).OrderByDescending(p => p.CpuPercent).ToList();
}
