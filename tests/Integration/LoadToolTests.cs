using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Reports;

namespace CustomerService.Integration;

/// <summary>
/// The load tool's smoke profile (loadtests/profiles/smoke.json) against the whole platform: every phase model
/// plays, the audit finds every acked message on its agent's socket and in the archive, thresholds decide, and the
/// report is written. A threshold nobody can meet is added to prove a failed one fails the run and is named.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class LoadToolTests(PlatformFixture platform)
{
    [Fact]
    public async Task The_smoke_profile_passes_its_thresholds_and_reports_a_failed_one()
    {
        var root = CustomerService.TestInfrastructure.LocalServer.RepoRoot;
        var reports = Directory.CreateTempSubdirectory("cs-load-").FullName;
        using var http = platform.Gateway();
        var gateway = http.BaseAddress!;
        var options = LoadOptions.Parse(
        [
            "--profile", "smoke", "--gateway", gateway.ToString(), "--key", Path.Combine(platform.DataDirectory, "jwt-signing.key"),
            "--report", reports, "--threshold", "inject.e2e_p99_ms<0.001",
        ], root);

        var report = await new LoadRun(options, new Tokens(options.SigningKeyFile)).ExecuteAsync();
        report.Print(Console.Out);

        Assert.True(report.Audit.Passed, "audit: lost or doubled messages");
        Assert.Equal(0, report.Audit.Lost);
        Assert.NotNull(report.Audit.Archive);
        Assert.Equal(report.Audit.Acked, report.Audit.Archive!.Archived);
        var byName = report.Phases.ToDictionary(p => p.Phase.Name);
        Assert.All(new[] { "inject", "ramp", "closed" }, name => Assert.True(byName[name].Acked > 0, $"{name} acked nothing"));
        Assert.Equal(0, byName["quiet"].Sent);
        // The open phase's rate is the profile's (100 msg/s for 8 s), whatever the platform's speed.
        Assert.InRange(byName["inject"].Sent, 700, 900);

        var thresholds = report.Thresholds();
        var failed = Assert.Single(thresholds, t => !t.Passed);
        Assert.Equal("inject.e2e_p99_ms<0.001", failed.Threshold.Text);
        Assert.False(report.Passed);

        var directory = ReportFiles.Write(report, reports);
        using var summary = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "summary.json")));
        var top = summary.RootElement;
        Assert.Equal("smoke", top.GetProperty("profile").GetString());
        Assert.True(top.GetProperty("messagesPerSecond").GetDouble() > 0);
        Assert.Equal(report.Audit.Acked, top.GetProperty("audit").GetProperty("archived").GetInt64());
        Assert.Equal(0, top.GetProperty("audit").GetProperty("lost").GetInt64());
        Assert.False(top.GetProperty("thresholds").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "inject.e2e_p99_ms<0.001").GetProperty("passed").GetBoolean());
        Assert.True(top.GetProperty("peakSockets").GetInt64() >= 25);   // 20 customers and 5 agents at once
        Assert.Equal(0, top.GetProperty("refused429").GetInt64());      // loopback's allowance: the per-IP limit did not shape it
        Assert.Contains("inject.e2e_p99_ms<0.001: FAILED", await File.ReadAllTextAsync(Path.Combine(directory, "report.md")));
        Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(directory, "report.html")));
        Assert.True(File.ReadAllLines(Path.Combine(directory, "samples.csv")).Length > 20);
        Directory.Delete(reports, recursive: true);
    }

    /// <summary>
    /// The same profile from two worker processes (docs/loadtests.md, "Several processes"): one report, the rate the
    /// profile's, and the audit joined across the workers (a customer in one, its agent in the other) finds every acked
    /// message on its agent's socket and in the archive.
    /// </summary>
    [Fact]
    public async Task The_smoke_profile_from_two_worker_processes_makes_one_report_with_every_message_accounted_for()
    {
        var root = CustomerService.TestInfrastructure.LocalServer.RepoRoot;
        var reports = Directory.CreateTempSubdirectory("cs-load-").FullName;
        using var http = platform.Gateway();
        var options = LoadOptions.Parse(
        [
            "--profile", "smoke", "--workers", "2", "--gateway", http.BaseAddress!.ToString(),
            "--key", Path.Combine(platform.DataDirectory, "jwt-signing.key"), "--report", reports,
        ], root);

        var report = await new LoadRun(options, new Tokens(options.SigningKeyFile)).ExecuteAsync();
        report.Print(Console.Out);

        Assert.True(report.Audit.Passed, "audit: lost or doubled messages");
        Assert.Equal(0, report.Audit.Lost);
        Assert.True(report.Audit.Acked > 0);
        Assert.Equal(report.Audit.Acked, report.Audit.Archive!.Archived);
        var byName = report.Phases.ToDictionary(p => p.Phase.Name);
        // The open phase's rate is the profile's, split between the workers (100 msg/s for 8 s).
        Assert.InRange(byName["inject"].Sent, 700, 900);
        Assert.True(report.Passed, "the smoke profile's thresholds");
        var directory = ReportFiles.Write(report, reports);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(directory, "workers"), "worker-*.json").Length);
        Directory.Delete(reports, recursive: true);
    }
}
