using System.Diagnostics;
using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Scenarios;
using CustomerService.ChatLoad.Workers;
using HdrHistogram;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.LoadTool.Tests;

/// <summary>
/// A run from several processes (Workers/): the workers field and flag, how customers, agents, rates and seeds are
/// split, the coordinator's merge of the workers' result files into one report, and the delivery audit joined across
/// workers (a message acked in one and received in another).
/// </summary>
public sealed class WorkerTests : IDisposable
{
    private static readonly string RepoRoot = LoadOptions.FindRepoRoot(AppContext.BaseDirectory);
    private readonly string _directory = Directory.CreateTempSubdirectory("cs-workers-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Profile(string extra, int customers = 20, int agents = 5) => $$"""
        { "name": "w", "customers": {{customers}}, "agents": {{agents}},
          "phases": [ { "name": "a", "model": "inject", "rate": 10, "seconds": 30 } ] {{extra}} }
        """;

    // ------------------------------------------------------------ the field and the flag

    [Fact]
    public void A_profile_reads_its_workers_and_the_flag_overrides_it()
    {
        Assert.Equal(1, LoadProfile.Parse(Profile(""), "w.json").Workers);
        Assert.Equal(3, LoadProfile.Parse(Profile(""", "workers": 3"""), "w.json").Workers);
        Assert.Equal(1, LoadOptions.Parse(["--profile", "smoke"], RepoRoot).Profile.Workers);
        Assert.Equal(2, LoadOptions.Parse(["--profile", "smoke", "--workers", "2"], RepoRoot).Profile.Workers);
        Assert.Null(LoadOptions.Parse(["--profile", "smoke", "--workers", "2"], RepoRoot).Worker);   // the coordinator
    }

    [Theory]
    [InlineData(""", "workers": 0""", "workers must be between 1 and 64 (1: the run in this one process), not 0")]
    [InlineData(""", "workers": 65""", "workers must be between 1 and 64")]
    [InlineData(""", "workers": 21""", "workers (21) must not exceed customers (20): every worker process holds at least one customer")]
    [InlineData(""", "workers": 2, "scenarios": [ { "name": "chat", "weight": 1 }, { "name": "transfer", "weight": 1 } ]""",
        "workers: the transfer scenario is not built across worker processes")]
    public void An_invalid_workers_field_is_named(string extra, string message) =>
        Assert.Contains(message, Assert.Throws<ProfileException>(() => LoadProfile.Parse(Profile(extra), "w.json")).Message);

    [Fact]
    public void The_workers_flag_is_checked_like_the_profile_field()
    {
        Assert.Contains("profile 'smoke': workers must be between 1 and 64",
            Assert.Throws<ProfileException>(() => LoadOptions.Parse(["--profile", "smoke", "--workers", "0"], RepoRoot)).Message);
        Assert.Contains("workers (40) must not exceed customers (20)",
            Assert.Throws<ProfileException>(() => LoadOptions.Parse(["--profile", "smoke", "--workers", "40"], RepoRoot)).Message);
        Assert.Contains("--workers: 'two' is not a whole number",
            Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--profile", "smoke", "--workers", "two"], RepoRoot)).Message);
        Assert.Contains("transfer scenario is not built across worker processes",
            Assert.Throws<ProfileException>(() => LoadOptions.Parse(["--profile", "mix", "--workers", "2"], RepoRoot)).Message);
        // A worker's own flags come from its coordinator, all of them.
        Assert.Contains("--worker is started by a coordinator",
            Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--profile", "smoke", "--workers", "2", "--worker", "1"], RepoRoot)).Message);
        Assert.Contains("a worker of 2 is 0 to 1",
            Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--profile", "smoke", "--workers", "2", "--worker", "2"], RepoRoot)).Message);
        Assert.Contains("are a worker's",
            Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--profile", "smoke", "--run-id", "x"], RepoRoot)).Message);
        var worker = LoadOptions.Parse(["--profile", "smoke", "--workers", "2", "--worker", "1", "--run-id", "abc", "--worker-dir", _directory,
            "--tenant", "load-t", "--epoch", "123"], RepoRoot).Worker;
        Assert.Equal(new WorkerSlice(1, 2, "abc", _directory, 123), worker);
    }

    /// <summary>The command a coordinator starts its workers with is this program, also from a test host (no platform needed for --check).</summary>
    [Fact]
    public async Task The_worker_command_starts_the_tool_itself()
    {
        var (file, prefix) = LoadRun.WorkerCommand();
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        foreach (var a in prefix.Concat(["--check", "--profile", "smoke", "--workers", "2"])) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, output + await process.StandardError.ReadToEndAsync());
        Assert.Contains("profile smoke: 4 phases, 22 s, 6 thresholds, 2 worker processes", output);
    }

    // ------------------------------------------------------------ the split

    [Theory]
    [InlineData(20, 2)]
    [InlineData(1000, 3)]
    [InlineData(7, 7)]
    [InlineData(5, 4)]
    public void Every_customer_is_held_by_exactly_one_worker_and_the_shares_differ_by_at_most_one(int customers, int workers)
    {
        var shares = Enumerable.Range(0, workers).Select(w => WorkerSplit.Share(customers, w, workers)).ToList();
        Assert.Equal(Enumerable.Range(0, customers), shares.SelectMany(s => s).Order());
        Assert.InRange(shares.Max(s => s.Length) - shares.Min(s => s.Length), 0, 1);
        // Deterministic: the same split every time, and the slice a worker is given agrees with it.
        Assert.Equal(shares, Enumerable.Range(0, workers).Select(w => WorkerSplit.Share(customers, w, workers)).ToList());
        var slice = new WorkerSlice(workers - 1, workers, "r", "", 0);
        Assert.Equal(shares[^1], Enumerable.Range(0, customers).Where(slice.HoldsCustomer));
        // Every prefix (the customers a keep-constant phase keeps busy) is spread within one customer too.
        for (int n = 1; n <= customers; n++)
        {
            var held = shares.Select(s => s.Count(i => i < n)).ToList();
            Assert.InRange(held.Max() - held.Min(), 0, 1);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerSplit.Share(customers, workers, workers));
    }

    [Fact]
    public void Worker_seeds_come_from_the_profiles_seed_the_same_every_time_and_differ_between_workers()
    {
        var seeds = Enumerable.Range(0, 16).Select(w => WorkerSplit.Seed(1, w)).ToList();
        Assert.Equal(seeds, Enumerable.Range(0, 16).Select(w => WorkerSplit.Seed(1, w)));
        Assert.Equal(16, seeds.Distinct().Count());
        Assert.NotEqual(seeds, Enumerable.Range(0, 16).Select(w => WorkerSplit.Seed(2, w)));
        Assert.Equal(1.0, Enumerable.Range(0, 3).Sum(_ => WorkerSplit.RateShare(3)), 12);
    }

    /// <summary>Two pacers as two workers play them: one start given to both, each its share of the open rate, the closed phase's customers by their index in the whole run.</summary>
    [Fact]
    public async Task Two_workers_pacers_start_together_and_make_the_whole_runs_load_between_them()
    {
        var profile = new LoadProfile
        {
            Name = "t", Customers = 20, Agents = 2, Window = 4, Workers = 2,
            Phases = [new Phase { Name = "open", Model = LoadModel.Inject, Rate = 400, Seconds = 1 },
                      new Phase { Name = "closed", Model = LoadModel.KeepConstant, Customers = 10, ThinkMs = 50, Seconds = 0.5 }],
        };
        var time = new FakeTimeProvider();
        var pacers = Enumerable.Range(0, 2).Select(_ => new Pacer(profile, WorkerSplit.RateShare(2), time)).ToList();
        long startAt = time.GetTimestamp() + time.TimestampFrequency / 10;   // 100 ms ahead, as the coordinator does
        var open = new long[2];
        var busy = new HashSet<int>[] { [], [] };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var playing = pacers.Select(p => p.RunAsync(cts.Token, startAt)).ToList();
        var taking = Enumerable.Range(0, 2).SelectMany(w => WorkerSplit.Share(profile.Customers, w, 2).Select(async c =>
        {
            while (await pacers[w].NextAsync(c, cts.Token) is { } turn)
            {
                if (turn.Phase == 0) Interlocked.Increment(ref open[w]);
                else lock (busy[w]) busy[w].Add(c);
            }
        })).ToList();
        var all = Task.WhenAll(playing.Concat(taking));
        while (!all.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(4));
            await Task.Delay(1);
        }
        await all;
        Assert.All(pacers, p => Assert.Equal(startAt, p.StartTimestamp));
        Assert.All(open, n => Assert.InRange(n + 0.0, 199, 201));              // 400/s ÷ 2 each, for 1 s
        Assert.InRange(open.Sum() + pacers.Sum(p => p.Dropped(0)), 399, 401);  // the whole run's 400
        Assert.Equal([0, 2, 4, 6, 8], busy[0].Order());                        // the first 10 of the run, 5 in each
        Assert.Equal([1, 3, 5, 7, 9], busy[1].Order());
    }

    // ------------------------------------------------------------ the merge

    private static long Ms(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    private static HistogramData Latency(int count, double ms)
    {
        var h = new LongHistogram(TimeStamp.Seconds(120), 3);
        h.RecordValueWithCount(Ms(ms), count);
        return HistogramData.Of(h);
    }

    private static WorkerResult Result(int worker, long sent, long acked, int count, double ms, int peak)
    {
        var timeline = new Timeline(23);
        for (int i = 0; i < count; i++) timeline.Latency(1.5, ms * 1000);
        timeline.Sent(1.5);
        timeline.Acked(1.5);
        var stats = new JourneyStats();
        stats.Record(ScenarioKind.Chat, "assigned", Ms(ms));
        stats.Failed(ScenarioKind.Chat, "assigned");
        var kinds = Enum.GetValues<ScenarioKind>().Length;
        HistogramData[] ByKind(HistogramData chat) => Enumerable.Range(0, kinds).Select(k => k == 0 ? chat : Latency(0, 1)).ToArray();
        long[] Chat(long v) => Enumerable.Range(0, kinds).Select(k => k == 0 ? v : 0L).ToArray();
        return new WorkerResult(worker, [sent, 0, 5, 0], [acked, 0, 5, 0], [1, 0, 0, 0], [2, 0, 0, 0],
            [Latency(count, ms), Latency(0, 1), Latency(5, 3), Latency(0, 1)],
            Chat(sent + 5), Chat(acked + 5), Chat(1), ByKind(Latency(count, ms)),
            SetupErrors: 1, Assignments: 10, ContextReady: 9, new SocketFigures(peak, 1, 2, 3, 4, 5, 6), timeline.Export(), stats.Export(), [])
        {
            ErrorCodes = new Dictionary<string, long> { ["unavailable"] = 1 + worker, ["internal"] = 1 },
        };
    }

    [Fact]
    public void The_coordinator_merges_the_workers_files_counts_summed_and_percentiles_from_the_merged_data()
    {
        var options = LoadOptions.Parse(["--profile", "smoke", "--workers", "2"], RepoRoot);
        // Worker 0: 900 messages at 10 ms; worker 1: 100 at 500 ms. Of the 1,000, the 95th and 99th percentiles are
        // 500 ms and the median 10 ms; averaging the workers' percentiles would say p50 255 ms.
        new[] { Result(0, 950, 900, 900, 10, 13), Result(1, 110, 100, 100, 500, 12) }
            .Select(r => { r.Write(_directory, new DeliveryAudit()); return r; }).ToList();
        var results = Enumerable.Range(0, 2).Select(w => WorkerResult.Read(_directory, w)).ToList();   // as the coordinator reads them

        var usage = (double cpu) => (IReadOnlyDictionary<string, PlatformProcesses.Usage>)new Dictionary<string, PlatformProcesses.Usage>
        {
            [PlatformProcesses.LoadTool] = new(PlatformProcesses.LoadTool, 300 << 20, new Dictionary<int, double> { [1] = cpu, [2] = cpu, [3] = cpu / 10 }),
            ["Session"] = new("Session", 100 << 20, new Dictionary<int, double> { [4] = 2 * cpu }),
        };
        var phaseTimes = options.Profile.Phases.Select(p => TimeSpan.FromSeconds(p.Seconds)).ToList();
        var samples = Enumerable.Range(0, phaseTimes.Count + 1).Select(i => usage(i)).ToList();
        var report = WorkerMerge.Report(options, results, new AuditResult(1010, 1010, 0, 0, 0, 0, 0, null, []), phaseTimes, samples,
            [new RunMark(0, "phase", "inject")], new DateTime(2026, 12, 8, 0, 0, 0, DateTimeKind.Utc));

        var inject = report.Phases[0];
        Assert.Equal((1060L, 1000L, 2L, 4L), (inject.Sent, inject.Acked, inject.Errors, inject.Dropped));
        Assert.Equal(1000, inject.Latency.TotalCount);
        var figures = report.PhaseFigures(inject);
        Assert.InRange(figures["e2e_p50_ms"], 9.9, 10.1);
        Assert.InRange(figures["e2e_p95_ms"], 499, 501);
        Assert.InRange(figures["e2e_p99_ms"], 499, 501);
        var run = report.RunFigures();
        Assert.Equal(1070, run["sent"]);
        Assert.Equal(1010, run["acked"]);
        Assert.Equal(4, run["errors"]);                 // 2 in the phase, 1 before the phases in each worker
        Assert.Equal([("internal", 2L), ("unavailable", 3L)], report.ErrorCodes.Select(c => (c.Key, c.Value)));   // read back from the files, summed
        Assert.Equal(1010, report.Phases.Sum(p => p.Latency.TotalCount));
        Assert.Equal((20L, 18L), (report.Assignments, report.ContextReady));
        Assert.Equal(new SocketFigures(25, 2, 4, 6, 8, 10, 12), report.Sockets);

        // The per-second timeline adds bucket by bucket: second 1 holds both workers' latencies.
        var second = report.Timeline[1];
        Assert.Equal((2L, 2L, 1000L), (second.Sent, second.Acked, second.Delivered));
        Assert.InRange(second.P50Ms, 10, 11.25);        // buckets within 12.5%
        Assert.InRange(second.P99Ms, 500, 562.5);

        var chat = Assert.Single(report.ScenarioList());
        Assert.Equal((20, 1070L, 1010L, 4L), (chat.Users, chat.Sent, chat.Acked, chat.Errors));   // a profile without a mix: chat is the whole run
        Assert.InRange(chat.Ms(99), 499, 501);
        var assigned = Assert.Single(chat.Steps);
        Assert.Equal(("assigned", 4L, 2L), (assigned.Name, assigned.Count, assigned.Errors));
        Assert.InRange(assigned.Ms(50), 9.9, 10.1);
        Assert.InRange(assigned.Ms(100), 499, 501);

        // Every worker and the coordinator are the one load tool line; its CPU and the platform's per phase and run.
        var tool = Assert.Single(report.Processes, p => p.Name == PlatformProcesses.LoadTool);
        Assert.Equal(3, tool.Processes);
        Assert.Equal(100 * 2.1 * 1 / report.Elapsed.TotalSeconds * phaseTimes.Count, tool.CpuPercent, 6);
        Assert.Equal(1, report.Phases[0].Processes.Single(p => p.Name == "Session").Processes);

        // And the report files are the usual four, with the workers in the settings.
        var directory = CustomerService.ChatLoad.Reports.ReportFiles.Write(report, _directory);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "summary.json")));
        Assert.Equal(2, summary.RootElement.GetProperty("settings").GetProperty("workers").GetInt32());
        Assert.InRange(summary.RootElement.GetProperty("e2eLatencyMs").GetProperty("p99").GetDouble(), 499, 501);
        Assert.Contains("workers=2", File.ReadAllText(Path.Combine(directory, "report.md")));
    }

    /// <summary>A coordinator's worker processes are its children but the load tool's CPU, not the platform's.</summary>
    [Fact]
    public void Worker_processes_count_as_the_load_tool_not_as_the_platform()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var before = PlatformProcesses.Sample(RepoRoot);
            Assert.True(before.ContainsKey("sleep"), "a child of this process is taken for a drill's restart, as before");
            var sample = PlatformProcesses.Sample(RepoRoot, [child.Id]);
            Assert.False(sample.ContainsKey("sleep"));
            Assert.Contains(child.Id, sample[PlatformProcesses.LoadTool].CpuSecondsByPid.Keys);
            Assert.Contains(Environment.ProcessId, sample[PlatformProcesses.LoadTool].CpuSecondsByPid.Keys);
        }
        finally { child.Kill(); child.WaitForExit(); }
    }

    // ------------------------------------------------------------ the audit across workers

    /// <summary>Each worker's audit as it writes it, read back as the coordinator does, joined.</summary>
    private DeliveryAudit Joined(params DeliveryAudit[] workers)
    {
        for (int w = 0; w < workers.Length; w++)
            new WorkerResult(w, [], [], [], [], [], [], [], [], [], 0, 0, 0, new SocketFigures(0, 0, 0), new Timeline(1).Export(), [], [])
                .Write(_directory, workers[w]);
        return DeliveryAudit.Join(Enumerable.Range(0, workers.Length).Select(w => WorkerResult.ReadAudit(_directory, w)));
    }

    [Fact]
    public void A_message_acked_in_one_worker_and_received_by_an_agent_of_another_is_delivered()
    {
        var customers = new DeliveryAudit();   // worker 0 holds the customer
        var agents = new DeliveryAudit();      // worker 1 holds its agent
        customers.Assigned("c", "agent-1");
        customers.Acked("c", 1, "0-open");
        customers.Acked("c", 2, "0-0");
        agents.Received("agent-1", "c", 1, "0-open", live: false);
        agents.Received("agent-1", "c", 2, "0-0", live: true);

        // Neither worker alone can tell: the customer's sees nothing delivered, the agent's nothing acked.
        Assert.Equal(2, customers.Result(null).Lost);
        Assert.Equal(0, agents.Result(null).Acked);
        var result = Joined(customers, agents).Result(null);
        Assert.Equal((2L, 2L, 0L, 0L), (result.Acked, result.Delivered, result.Lost, result.Doubled));
        Assert.True(result.Passed);
    }

    [Fact]
    public void A_message_delivered_nowhere_is_lost_and_one_delivered_twice_is_doubled()
    {
        long epoch = Stopwatch.GetTimestamp();   // the coordinator's start, every worker's zero of the trail
        var w0 = new DeliveryAudit(epoch);
        var w1 = new DeliveryAudit(epoch);
        // Customer of conversation a in worker 0, its agent in worker 1; conversation b the other way round.
        w0.Assigned("a", "agent-1");
        foreach (var (seq, id) in new[] { (1L, "0-open"), (2L, "0-0"), (3L, "0-1") }) w0.Acked("a", seq, id);
        w1.Received("agent-1", "a", 1, "0-open", live: true);
        w1.Received("agent-1", "a", 3, "0-1", live: true);           // 2 reached no agent socket
        w0.Received("agent-0", "a", 2, "0-0", live: true);           // ... but the wrong agent's: still lost
        w1.Note("a", "agent-1 resume from 1 (a hole)");
        w0.Note("a", "customer resent 0-0");

        w1.Assigned("b", "agent-0");
        w1.Acked("b", 1, "1-open");
        w1.Acked("b", 2, "1-0");
        w0.Received("agent-0", "b", 1, "1-open", live: false);
        w0.Received("agent-0", "b", 2, "1-0", live: true);
        w0.Received("agent-0", "b", 3, "1-0", live: true);           // the same message under a second seq: doubled

        var result = Joined(w0, w1).Result(null);
        Assert.Equal((5L, 4L, 1L, 1L), (result.Acked, result.Delivered, result.Lost, result.Doubled));
        Assert.False(result.Passed);
        var line = Assert.Single(result.LostExamples);
        Assert.StartsWith("a: told agent-1; acked 1-3; missing at agent-1: 2", line);
        // The trail has both workers' lines, in time order.
        var trail = line.Split('\n').Skip(1).Select(l => l.Trim()).ToList();
        Assert.Equal(2, trail.Count);
        Assert.EndsWith("agent-1 resume from 1 (a hole)", trail[0]);
        Assert.EndsWith("customer resent 0-0", trail[1]);
    }

    [Fact]
    public void The_joined_audit_finds_what_one_process_recording_everything_finds()
    {
        var random = new Random(14);
        var one = new DeliveryAudit();
        var workers = new[] { new DeliveryAudit(), new DeliveryAudit(), new DeliveryAudit() };
        for (int c = 0; c < 30; c++)
        {
            string id = $"c{c}", agent = $"agent-{random.Next(6)}";
            var customerSide = workers[c % 3];
            var agentSide = workers[int.Parse(agent[6..]) % 3];
            one.Assigned(id, agent);
            customerSide.Assigned(id, agent);
            for (long seq = 1; seq <= 20; seq++)
            {
                var clientId = $"{c}-{seq}";
                one.Acked(id, seq, clientId);
                customerSide.Acked(id, seq, clientId);
                int fate = random.Next(40);                           // mostly delivered; some lost, some twice
                if (fate == 0) continue;
                one.Received(agent, id, seq, clientId, live: true);
                agentSide.Received(agent, id, seq, clientId, live: true);
                if (fate == 1)
                {
                    one.Received(agent, id, seq + 100, clientId, live: true);
                    agentSide.Received(agent, id, seq + 100, clientId, live: true);
                }
            }
        }
        var expected = one.Result(null);
        Assert.True(expected.Lost > 0 && expected.Doubled > 0, "the sample has losses and doubles to find");
        var joined = Joined(workers).Result(null);
        Assert.Equal((expected.Acked, expected.Delivered, expected.Lost, expected.Doubled, expected.ConversationsWithLoss),
            (joined.Acked, joined.Delivered, joined.Lost, joined.Doubled, joined.ConversationsWithLoss));
    }
}
