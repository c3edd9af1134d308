using System.Diagnostics;
using System.Text.Json;
using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Reports;
using HdrHistogram;

namespace CustomerService.LoadTool.Tests;

/// <summary>A run's report as four files: summary.json with the figures a machine reads, samples.csv, report.md and a self-contained report.html.</summary>
public sealed class ReportFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cs-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static LoadReport Report()
    {
        var root = LoadOptions.FindRepoRoot(AppContext.BaseDirectory);
        var options = LoadOptions.Parse(["--profile", "smoke", "--threshold", "e2e_p99_ms<0.001"], root);
        var phases = options.Profile.Phases.Select((phase, i) =>
        {
            var latency = new LongHistogram(TimeStamp.Seconds(120), 3);
            for (int k = 1; k <= 100; k++) latency.RecordValue(k * Stopwatch.Frequency / 1000);   // 1..100 ms
            return new PhaseResult(phase, TimeSpan.FromSeconds(phase.Seconds), 100, 100, i == 0 ? 1 : 0, 0, latency, []);
        }).ToList();
        var timeline = Enumerable.Range(0, 22).Select(s => new SecondFigures(s, 100, 99, s == 3 ? 1 : 0, 99, 5 + s, 40 + s)).ToList();
        var audit = new AuditResult(400, 400, 0, 0, 0, 0, 0, new ArchiveResult(400, 0, 0, 2), []);
        RunMark[] marks = [new(0, "phase", "inject"), new(8, "phase", "ramp"), new(10.5, "drill", "kill -9 <session>", 3.2, "recovered")];
        return new LoadReport(options, phases, TimeSpan.FromSeconds(22), 0, 20, 20, audit, [new ProcessShare("session", 1, 30, 80, 200 << 20)],
            timeline, marks, new SocketFigures(25, 3, 7), new DateTime(2026, 12, 3, 10, 15, 0, DateTimeKind.Utc))
        {
            ErrorCodes = new SortedDictionary<string, long> { ["internal"] = 1, ["unavailable"] = 3 },
        };
    }

    [Fact]
    public void The_errors_are_told_by_their_code_in_the_report_and_the_summary()
    {
        var report = Report();
        var printed = new StringWriter();
        report.Print(printed);
        Assert.Contains("by code: internal 1, unavailable 3", printed.ToString());

        var directory = ReportFiles.Write(report, _directory);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "summary.json")));
        var codes = json.RootElement.GetProperty("errorCodes");
        Assert.Equal(3, codes.GetProperty("unavailable").GetInt64());
        Assert.Equal(1, codes.GetProperty("internal").GetInt64());
    }

    [Fact]
    public void The_four_files_are_written_in_a_directory_named_by_the_run()
    {
        var directory = ReportFiles.Write(Report(), _directory);
        Assert.Equal(Path.Combine(_directory, "20261203-101500-smoke"), directory);
        Assert.All(new[] { "summary.json", "samples.csv", "report.md", "report.html" }, f => Assert.True(File.Exists(Path.Combine(directory, f)), f));
    }

    [Fact]
    public void Summary_json_has_the_top_level_figures()
    {
        var directory = ReportFiles.Write(Report(), _directory);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "summary.json")));
        var root = json.RootElement;
        Assert.Equal("smoke", root.GetProperty("profile").GetString());
        Assert.InRange(root.GetProperty("messagesPerSecond").GetDouble(), 1, 1e6);
        var latency = root.GetProperty("e2eLatencyMs");
        Assert.InRange(latency.GetProperty("p50").GetDouble(), 49, 51);
        Assert.InRange(latency.GetProperty("p99").GetDouble(), 98, 100);
        Assert.InRange(latency.GetProperty("max").GetDouble(), 99, 101);
        var audit = root.GetProperty("audit");
        Assert.Equal(400, audit.GetProperty("acked").GetInt64());
        Assert.Equal(400, audit.GetProperty("delivered").GetInt64());
        Assert.Equal(400, audit.GetProperty("archived").GetInt64());
        Assert.Equal(0, audit.GetProperty("lost").GetInt64());
        Assert.Equal(0, audit.GetProperty("doubled").GetInt64());
        var thresholds = root.GetProperty("thresholds").EnumerateArray().ToList();
        var impossible = Assert.Single(thresholds, t => t.GetProperty("name").GetString() == "e2e_p99_ms<0.001");
        Assert.False(impossible.GetProperty("passed").GetBoolean());
        Assert.Contains(thresholds, t => t.GetProperty("name").GetString() == "lost<1" && t.GetProperty("passed").GetBoolean());
        Assert.False(root.GetProperty("passed").GetBoolean());
        Assert.Equal(25, root.GetProperty("peakSockets").GetInt64());
        Assert.Equal(5, root.GetProperty("refused429").GetInt64());   // 3 sockets + 2 transcript reads
        Assert.Equal(7, root.GetProperty("rateLimited").GetInt64());
        var chat = root.GetProperty("scenarios")[0];
        Assert.Equal("chat", chat.GetProperty("name").GetString());
        Assert.Equal(400, chat.GetProperty("acked").GetInt64());
        Assert.Equal("message", chat.GetProperty("steps")[0].GetProperty("name").GetString());
        Assert.Contains(root.GetProperty("marks").EnumerateArray(), m => m.GetProperty("kind").GetString() == "drill");
    }

    [Fact]
    public void Samples_have_a_header_and_a_row_per_second()
    {
        var lines = File.ReadAllLines(Path.Combine(ReportFiles.Write(Report(), _directory), "samples.csv"));
        Assert.Equal("second,phase,sent,acked,errors,delivered,p50_ms,p99_ms", lines[0]);
        Assert.Equal(23, lines.Length);
        Assert.Equal("3,inject,100,99,1,99,8,43", lines[4]);
    }

    [Fact]
    public void The_html_report_stands_alone_with_three_charts_and_the_drill_marked()
    {
        var html = File.ReadAllText(Path.Combine(ReportFiles.Write(Report(), _directory), "report.html"));
        Assert.Equal(3, html.Split("<svg").Length - 1);
        Assert.Contains("kill -9 &lt;session&gt;", html);       // labels encoded
        Assert.DoesNotContain("<session>", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));   // nothing fetched
        Assert.Contains("e2e_p99_ms&lt;0.001", html);
        Assert.Contains("FAILED", html);
        Assert.EndsWith("</html>\n", html);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(7, 10)]
    [InlineData(12_000, 20_000)]
    [InlineData(0.3, 0.5)]
    public void Chart_tops_are_one_two_or_five_times_a_power_of_ten(double max, double top) =>
        Assert.Equal(top, HtmlReport.NiceCeiling(max), 9);
}
