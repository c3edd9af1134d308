using System.Diagnostics;
using System.Net;
using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Drills;
using CustomerService.ChatLoad.Profiles;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace CustomerService.LoadTool.Tests;

/// <summary>Drills: their validation in a profile, their scheduling on the pacer's clock, and the real pieces they use.</summary>
public sealed class DrillTests
{
    private static readonly string RepoRoot = LoadOptions.FindRepoRoot(AppContext.BaseDirectory);

    /// <summary>A 30-second profile with the given drills array.</summary>
    private static string WithDrills(string drills) => $$"""
        { "name": "d", "customers": 2, "agents": 1,
          "phases": [ { "name": "a", "model": "inject", "rate": 10, "seconds": 30 } ],
          "drills": {{drills}} }
        """;

    private static string Refusal(string drills) => Assert.Throws<ProfileException>(() => LoadProfile.Parse(WithDrills(drills), "d.json")).Message;

    [Fact]
    public void A_profile_reads_its_drills()
    {
        var profile = LoadProfile.Parse(WithDrills("""
            [ { "at": 5, "kind": "kill-service", "target": "session" },
              { "at": 10, "kind": "restart-nats" },
              { "at": 12, "kind": "restart-redis", "downSeconds": 3 },
              { "at": 15, "kind": "crm-slow", "delayMs": 800, "seconds": 5 },
              { "at": 20, "kind": "crm-down", "seconds": 5 },
              { "at": 21, "kind": "kill-service", "target": "historywriter", "downSeconds": 8 } ]
            """), "d.json");
        Assert.Equal([DrillKind.KillService, DrillKind.RestartNats, DrillKind.RestartRedis, DrillKind.CrmSlow, DrillKind.CrmDown, DrillKind.KillService],
            profile.Drills.Select(d => d.Kind));
        Assert.Equal("kill -9 session", profile.Drills[0].Label);
        Assert.Equal("kill -9 historywriter (down 8 s)", profile.Drills[5].Label);
        Assert.Equal(3, profile.Drills[2].DownSeconds);
    }

    [Fact]
    public void An_unknown_kind_is_refused_with_its_place() =>
        Assert.Contains("drills[0].kind", Refusal("""[ { "at": 5, "kind": "unplug-everything" } ]"""));

    [Fact]
    public void An_unknown_field_of_a_drill_is_refused() =>
        Assert.Contains("targett", Refusal("""[ { "at": 5, "kind": "kill-service", "targett": "session" } ]"""));

    [Theory]
    [InlineData("""{ "at": 5, "kind": "kill-service", "target": "mainframe" }""", "drills[0] (kill-service): target 'mainframe' is not a platform service")]
    [InlineData("""{ "at": 5, "kind": "kill-service" }""", "drills[0] (kill-service): target is required")]
    [InlineData("""{ "at": 31, "kind": "restart-nats" }""", "drills[0] (restart-nats): at must be within the profile's 30 s")]
    [InlineData("""{ "at": -1, "kind": "restart-redis" }""", "drills[0] (restart-redis): at must be within")]
    [InlineData("""{ "at": 5, "kind": "crm-slow", "seconds": 5 }""", "drills[0] (crm-slow): delayMs is required")]
    [InlineData("""{ "at": 5, "kind": "crm-down" }""", "drills[0] (crm-down): seconds is required")]
    [InlineData("""{ "at": 25, "kind": "crm-down", "seconds": 10 }""", "drills[0] (crm-down): seconds: the fault (25 + 10 s) must end within")]
    [InlineData("""{ "at": 5, "kind": "restart-nats", "target": "session" }""", "drills[0] (restart-nats): target is only for kill-service")]
    [InlineData("""{ "at": 5, "kind": "crm-down", "seconds": 2, "delayMs": 100 }""", "drills[0] (crm-down): delayMs is only for crm-slow")]
    [InlineData("""{ "at": 5, "kind": "restart-redis", "downSeconds": 90 }""", "drills[0] (restart-redis): downSeconds must be between 0 and 60")]
    [InlineData("""{ "at": 20, "kind": "kill-service", "target": "historywriter", "downSeconds": 20 }""", "drills[0] (kill-service): downSeconds: the outage (20 + 20 s) must end within")]
    [InlineData("""{ "at": 5, "kind": "crm-down", "seconds": 2, "downSeconds": 1 }""", "drills[0] (crm-down): downSeconds is only for kill-service, restart-nats and restart-redis")]
    public void Each_invalid_drill_field_is_named(string drill, string message) => Assert.Contains(message, Refusal($"[ {drill} ]"));

    [Fact]
    public void Drills_bring_the_drills_failed_threshold_unless_the_profile_sets_one()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("cs-drills-").FullName, "d.json");
        File.WriteAllText(file, WithDrills("""[ { "at": 5, "kind": "restart-nats" } ]"""));
        Assert.Contains(LoadOptions.Parse(["--profile", file], RepoRoot).Thresholds, t => t.Text == "drills_failed<1");
        Assert.DoesNotContain(LoadOptions.Parse(["--profile", "peak"], RepoRoot).Thresholds, t => t.Metric == "drills_failed");
        Assert.Equal("drills_failed", Threshold.Parse("drills_failed<1", new HashSet<string>()).Metric);
    }

    [Theory]
    [InlineData("http://localhost:41234;http://localhost:41235", "http://localhost:41234/health")]
    [InlineData("http://+:5000", "http://127.0.0.1:5000/health")]
    public void A_services_health_is_at_the_first_http_address_the_apphost_gave_it(string urls, string health)
    {
        var image = new ProcessImage(1, ["/repo/services/Session/bin/Release/net10.0/Session"],
            new Dictionary<string, string> { ["ASPNETCORE_URLS"] = urls }, "/repo", []);
        Assert.Equal(new Uri(health), ServiceKill.HealthOf(image));
    }

    /// <summary>Records when (on the pacer's clock) each drill was played; "fail" drills throw.</summary>
    private sealed class RecordingPlayer(Pacer pacer) : IDrillPlayer
    {
        public readonly List<(Drill Drill, double At)> Played = [];

        public Task<DrillOutcome> PlayAsync(Drill drill, CancellationToken ct)
        {
            lock (Played) Played.Add((drill, pacer.Elapsed));
            if (drill.Target == "bot") throw new InvalidOperationException("no such process");
            return Task.FromResult(new DrillOutcome(1.5, "recovered"));
        }
    }

    [Fact]
    public async Task Drills_are_played_when_the_pacers_clock_reaches_them_and_marked_with_their_outcome()
    {
        var profile = LoadProfile.Parse(WithDrills("""
            [ { "at": 2.5, "kind": "kill-service", "target": "bot" },
              { "at": 0.5, "kind": "restart-nats" },
              { "at": 1, "kind": "crm-down", "seconds": 1 } ]
            """), "d.json") with { Phases = [new Phase { Name = "a", Model = LoadModel.Pause, Seconds = 3 }] };
        var time = new FakeTimeProvider();
        var pacer = new Pacer(profile, time: time);
        var player = new RecordingPlayer(pacer);
        var marks = new List<RunMark>();
        var runner = new DrillRunner(profile.Drills, () => pacer.Elapsed, player, m => { lock (marks) marks.Add(m); }, time);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var playing = pacer.RunAsync(cts.Token);
        var drilling = runner.RunAsync(cts.Token);
        while (!playing.IsCompleted || !drilling.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }
        await playing;
        await drilling;

        Assert.Equal([DrillKind.RestartNats, DrillKind.CrmDown, DrillKind.KillService], player.Played.Select(p => p.Drill.Kind));
        // Each at its time on the pacer's clock: not before, and at most a poll (50 ms) and a step of the fake clock after.
        foreach (var (drill, at) in player.Played) Assert.InRange(at, drill.At, drill.At + 0.1);
        Assert.Equal(3, marks.Count);
        Assert.All(marks, m => Assert.Equal("drill", m.Kind));
        var failed = Assert.Single(marks, m => m.Label == "kill -9 bot");
        Assert.StartsWith(DrillOutcome.FailedPrefix, failed.Outcome);
        Assert.Contains("no such process", failed.Outcome);
        Assert.Null(failed.RecoverySeconds);
        Assert.Equal(1.5, marks.Single(m => m.Label.StartsWith("restart NATS")).RecoverySeconds);
        Assert.Equal(1, runner.Failed);
    }

    /// <summary>The drilled Redis's password, as the AppHost passes one to eng/run-redis.sh.</summary>
    private const string RedisPassword = "drill-password";

    private static readonly TimeSpan RedisPatience = TimeSpan.FromSeconds(15);

    /// <summary>A connection to the drilled Redis, with its password unless it is null; throws when Redis does not answer.</summary>
    private static Task<ConnectionMultiplexer> ConnectRedisAsync(int port, string? password = RedisPassword) =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { IPAddress.Loopback, port } },
            Password = password,
            AllowAdmin = true,     // CONFIG GET
            ConnectRetry = 1,
            ConnectTimeout = 3000,
        });

    /// <summary>A new connection gets PONG: refused, reset, closed unanswered or refused for want of AUTH all say no.</summary>
    private static async Task<bool> AnswersPingAsync(int port, string? password = RedisPassword)
    {
        try
        {
            await using var redis = await ConnectRedisAsync(port, password);
            await redis.GetDatabase().PingAsync();
            return true;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisServerException or RedisTimeoutException) { return false; }
    }

    /// <summary>
    /// A real redis-server, started as the platform starts it (eng/run-redis.sh, with a password), killed with -9 and
    /// started again from what /proc and CONFIG GET said: same port, same data directory and append-only file, and the
    /// same password, so a key written before the kill is there after it and a client without AUTH is refused.
    /// </summary>
    [Fact]
    public async Task A_killed_redis_is_started_again_with_the_same_settings()
    {
        var data = Directory.CreateTempSubdirectory("cs-drill-redis-").FullName;
        int port = LocalServer.FreePort();
        var info = new ProcessStartInfo("bash") { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["eng/run-redis.sh", port.ToString(), data]) info.ArgumentList.Add(a);
        info.Environment["REDIS_PASSWORD"] = RedisPassword;
        using var original = Process.Start(info)!;
        int? relaunched = null;
        try
        {
            await Eventually.UntilAsync(() => AnswersPingAsync(port), "redis answers", RedisPatience);
            await using (var redis = await ConnectRedisAsync(port))
                Assert.True(await redis.GetDatabase().StringSetAsync("drill", "kept"));
            await Task.Delay(1200); // appendfsync everysec

            var image = Assert.Single(ServerRestart.Find(data, ServerRestart.Redis));
            Assert.Equal(original.Id, image.Pid);
            var launch = await ServerRestart.RedisLaunchImageAsync(image, RedisPassword, CancellationToken.None);
            await image.KillHardAsync(TimeProvider.System, CancellationToken.None);
            Assert.False(ProcessImage.IsAlive(image.Pid));
            // Dead: the connection is refused, or (the kernel still tearing the socket down) reset or closed unanswered.
            Assert.False(await AnswersPingAsync(port), "redis still answered PING after kill -9");

            relaunched = launch.Relaunch(Path.Combine(data, "relaunch.log"));
            await Eventually.UntilAsync(() => AnswersPingAsync(port), "redis answers again", RedisPatience);
            await using (var redis = await ConnectRedisAsync(port))
            {
                Assert.Equal("kept", (string?)await redis.GetDatabase().StringGetAsync("drill"));
                Assert.Equal("yes", Assert.Single(await redis.GetServer(IPAddress.Loopback, port).ConfigGetAsync("appendonly")).Value);
            }
            Assert.False(await AnswersPingAsync(port, password: null), "the relaunched Redis answered without the password");
        }
        finally
        {
            if (!original.HasExited) original.Kill();
            if (relaunched is { } pid) try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
            await Task.Delay(200);
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The CRM simulator started alone (php -S, as the AppHost starts it): its fault endpoint slows or downs it for a while.</summary>
    [Fact]
    public async Task The_crm_simulators_fault_endpoint_makes_it_slow_or_down_for_a_while()
    {
        int port = LocalServer.FreePort();
        var info = new ProcessStartInfo("php") { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-S", $"127.0.0.1:{port}", "adapters/Crm/simulator/crm.php"]) info.ArgumentList.Add(a);
        info.Environment["PHP_CLI_SERVER_WORKERS"] = "2";
        using var php = Process.Start(info)!;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await Eventually.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, "simulator answers",
                TimeSpan.FromSeconds(15), notYet: Eventually.HttpFailed);
            // Found as the drill finds it: php -S with crm.php, run from the checkout.
            Assert.Contains(ProcessImage.Find((pid, _, _) => pid == php.Id), i => i.Args.Contains($"127.0.0.1:{port}"));

            await CrmFault.SetFaultAsync(http.BaseAddress, delayMs: 400, status: 200, seconds: 30, CancellationToken.None);
            var clock = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/customers/c1")).StatusCode);
            Assert.True(clock.ElapsedMilliseconds >= 400, $"answered in {clock.ElapsedMilliseconds} ms");

            await CrmFault.SetFaultAsync(http.BaseAddress, delayMs: 0, status: 503, seconds: 1, CancellationToken.None);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/customers/c1")).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health")).StatusCode);
            await Task.Delay(1200);   // the fault's seconds are over
            clock.Restart();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/customers/c1")).StatusCode);
            Assert.True(clock.ElapsedMilliseconds < 400);
        }
        finally
        {
            if (!php.HasExited) php.Kill(entireProcessTree: true);
            File.Delete(Path.Combine(Path.GetTempPath(), $"crm-sim-fault-{port}.json"));
        }
    }
}
