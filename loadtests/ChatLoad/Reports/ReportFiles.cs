using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerService.ChatLoad.Profiles;

namespace CustomerService.ChatLoad.Reports;

/// <summary>
/// Writes one run's report as four files in <c>TestResults/load/&lt;run-id&gt;/</c>: <c>summary.json</c> (the figures
/// a machine reads: rate, latency, audit, thresholds, sockets), <c>samples.csv</c> (one row per second),
/// <c>report.md</c> and a self-contained <c>report.html</c> with charts.
/// </summary>
public static class ReportFiles
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters =
        {
            new JsonStringEnumConverter<LoadModel>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<Drills.DrillKind>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<Scenarios.ScenarioKind>(JsonNamingPolicy.KebabCaseLower),
        },
    };

    /// <summary>The run's id: its start in UTC and its profile (<c>20261203-101500-smoke</c>).</summary>
    public static string RunId(LoadReport report) => $"{report.StartedAt:yyyyMMdd-HHmmss}-{report.Options.Profile.Name}";

    /// <summary>Writes the four files under <paramref name="parent"/>/&lt;run-id&gt;; returns that directory.</summary>
    public static string Write(LoadReport report, string parent)
    {
        var directory = Path.Combine(parent, RunId(report));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(Summary(report), Json));
        File.WriteAllText(Path.Combine(directory, "samples.csv"), Samples(report));
        File.WriteAllText(Path.Combine(directory, "report.md"), Markdown(report));
        File.WriteAllText(Path.Combine(directory, "report.html"), HtmlReport.Render(report));
        return directory;
    }

    private static double? Finite(double v) => double.IsNaN(v) || double.IsInfinity(v) ? null : Math.Round(v, 3);

    public static object Summary(LoadReport report)
    {
        var run = report.RunFigures();
        var audit = report.Audit;
        return new
        {
            profile = report.Options.Profile.Name,
            runId = RunId(report),
            startedAt = report.StartedAt,
            passed = report.Passed,
            messagesPerSecond = Finite(run["msg_per_s"]),
            e2eLatencyMs = new { p50 = Finite(run["e2e_p50_ms"]), p95 = Finite(run["e2e_p95_ms"]), p99 = Finite(run["e2e_p99_ms"]), max = Finite(run["e2e_max_ms"]) },
            audit = new
            {
                acked = audit.Acked, delivered = audit.Delivered, archived = audit.Archive?.Archived, lost = audit.Lost, doubled = audit.Doubled,
                archiveLost = audit.Archive?.Lost, archiveDoubled = audit.Archive?.Doubled, unassigned = audit.Unassigned, passed = audit.Passed,
            },
            thresholds = report.Thresholds().Select(t => new { name = t.Threshold.Text, passed = t.Passed, actual = Finite(t.Actual) }),
            peakSockets = report.Sockets.Peak,
            refused429 = report.Sockets.Refused429 + (audit.Archive?.Refused ?? 0),
            rateLimited = report.Sockets.RateLimited,
            reconnects = report.Sockets.Reconnects,
            resent = report.Sockets.Resent,
            gapResumes = report.Sockets.GapResumes,
            helloRetries = report.Sockets.HelloRetries,
            drillsFailed = (long)run["drills_failed"],
            errors = (long)run["errors"],
            errorCodes = report.ErrorCodes,
            dropped = (long)run["dropped"],
            seconds = report.Elapsed.TotalSeconds,
            phases = report.Phases.Select(p =>
            {
                var f = report.PhaseFigures(p);
                return new
                {
                    name = p.Phase.Name, model = p.Phase.ModelName, seconds = p.Elapsed.TotalSeconds, sent = p.Sent, acked = p.Acked, errors = p.Errors, dropped = p.Dropped,
                    messagesPerSecond = Finite(f["msg_per_s"]),
                    e2eLatencyMs = new { p50 = Finite(f["e2e_p50_ms"]), p95 = Finite(f["e2e_p95_ms"]), p99 = Finite(f["e2e_p99_ms"]), max = Finite(f["e2e_max_ms"]) },
                };
            }),
            // Per scenario of the mix (a profile without one: chat, with the whole run's figures as before mixes).
            scenarios = report.ScenarioList().Select(s => new
            {
                name = s.Name, users = s.Users, sent = s.Sent, acked = s.Acked, errors = s.Errors,
                e2eLatencyMs = s.Latency is null ? null : new { p50 = Finite(s.Ms(50)), p99 = Finite(s.Ms(99)), max = Finite(s.Ms(100)) },
                steps = LoadReport.Rows(s).Select(r => new { name = r.Name, count = r.Count, errors = r.Errors, p50Ms = Finite(r.P50), p99Ms = Finite(r.P99), maxMs = Finite(r.Max) }),
            }),
            marks = report.Marks,
            processes = report.Processes.Select(p => new { p.Name, p.Processes, cpuPercent = Math.Round(p.CpuPercent, 2), cpuMicrosPerMessage = Math.Round(p.CpuMicrosPerMessage, 1), rssMb = Math.Round(p.RssBytes / 1048576.0, 1) }),
            machine = new { cores = Environment.ProcessorCount, loadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "" },
            settings = new { rateScale = report.Options.RateScale, gateway = report.Options.Gateway.ToString(), workers = report.Options.Profile.Workers },
            definition = report.Options.Profile,
        };
    }

    public static string Samples(LoadReport report)
    {
        var csv = new StringBuilder("second,phase,sent,acked,errors,delivered,p50_ms,p99_ms\n");
        foreach (var s in report.Timeline)
            csv.Append(CultureInfo.InvariantCulture, $"{s.Second},{report.PhaseAt(s.Second)},{s.Sent},{s.Acked},{s.Errors},{s.Delivered},{Number(s.P50Ms)},{Number(s.P99Ms)}\n");
        return csv.ToString();
    }

    private static string Number(double v) => double.IsNaN(v) ? "" : v.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Markdown(LoadReport report)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Load run: {report.Options.Profile.Name} ({report.StartedAt:yyyy-MM-dd HH:mm} UTC)").AppendLine();
        md.AppendLine(report.Options.Profile.Description).AppendLine();
        md.AppendLine(report.Passed ? "**Passed.**" : "**FAILED.**").AppendLine();
        md.AppendLine("```");
        using (var writer = new StringWriter(md)) report.Print(writer);
        md.AppendLine("```").AppendLine();
        if (report.Marks.Count > 0)
        {
            md.AppendLine("| at s | kind | what | recovered in s | outcome |").AppendLine("|---|---|---|---|---|");
            foreach (var m in report.Marks)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {m.AtSeconds:F1} | {m.Kind} | {m.Label} | {(m.RecoverySeconds is { } r ? r.ToString("F1", CultureInfo.InvariantCulture) : "")} | {m.Outcome} |");
            md.AppendLine();
        }
        md.AppendLine("| second | phase | sent | acked | errors | delivered | p50 ms | p99 ms |").AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var s in report.Timeline)
            md.AppendLine($"| {s.Second} | {report.PhaseAt(s.Second)} | {s.Sent} | {s.Acked} | {s.Errors} | {s.Delivered} | {Number(s.P50Ms)} | {Number(s.P99Ms)} |");
        return md.ToString();
    }
}
