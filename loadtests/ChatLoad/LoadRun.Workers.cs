using System.Diagnostics;
using System.Globalization;
using CustomerService.ChatLoad.Drills;
using CustomerService.ChatLoad.Scenarios;
using CustomerService.ChatLoad.Workers;
using HdrHistogram;

namespace CustomerService.ChatLoad;

/// <summary>
/// A run from several processes (docs/loadtests.md, "Several processes"): with <c>workers</c> N &gt; 1 this process is
/// the coordinator. It configures the bot tenant, starts N worker processes of the tool (the same program, its own
/// arguments and <c>--worker I</c>), waits until each has its agents online and its customers assigned, and hands all of
/// them one start time for the first phase; it keeps the phase clock (marks, CPU samples at the boundaries, the
/// drills, a progress line from the workers' counts), tells them when to stop sending and when to stop, and merges
/// their result files into the one report, the audit joined across them and the archive checked once.
/// Each worker plays <see cref="RunWorkerAsync"/>: its share of the population and of every open phase's rate.
/// The control protocol is lines: coordinator → worker on stdin (<c>go TIMESTAMP</c>, <c>drain</c>, <c>stop</c>),
/// worker → coordinator on stdout (<c>@ready</c>, <c>@tick …</c>, <c>@played</c>, <c>@drained</c>, <c>@done</c>;
/// any other line is the worker's own output and is printed with its number).
/// </summary>
public sealed partial class LoadRun
{
    /// <summary>How often a worker reports its counts (the drills see acks resume from them).</summary>
    private static readonly TimeSpan TickEvery = TimeSpan.FromMilliseconds(250);

    // ---------------------------------------------------------------- worker

    /// <summary>A worker's whole life; the exit code of its process.</summary>
    public async Task<int> RunWorkerAsync(TextReader control, TextWriter output)
    {
        var slice = _options.Worker ?? throw new InvalidOperationException("not a worker");
        using var stop = new CancellationTokenSource();
        using var stopSending = new CancellationTokenSource();
        var commands = new WorkerCommands(control);
        bool draining = false;
        void Say(string line) { lock (output) output.WriteLine("@" + line); }
        try
        {
            var (agents, customers, staff) = await PopulateAsync(stop, stopSending);
            Say("ready");
            var startAt = await commands.Go.Task;
            var playing = _pacer.RunAsync(stop.Token, startAt);
            var ticking = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Say(string.Create(CultureInfo.InvariantCulture, $"tick {_sent.Sum()} {_acked.Sum()} {_errors.Sum() + Interlocked.Read(ref _setupErrors)} {Interlocked.Read(ref _sockets)} {Interlocked.Read(ref _inFlight)} {(draining ? _audit.AckedCount() : -1)} {(draining ? _audit.ReceivedCount() : -1)}"));
                    try { await Task.Delay(TickEvery, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            await playing;
            Say("played");
            await commands.Drain.Task;
            stopSending.Cancel();
            await staff;
            draining = true;
            Say("drained");
            await commands.Stop.Task;
            // The probes left open for another worker's agent end first, while that agent is still online.
            _workerStopping.Cancel();
            List<Task> parked;
            lock (_parkedProbes) parked = [.. _parkedProbes];
            await Task.WhenAll(parked);
            stop.Cancel();
            await Task.WhenAll(customers.Concat(agents).Append(ticking).Select(t => t.ContinueWith(_ => { })));
            Result(slice.Index).Write(slice.Directory, _audit);
            Say("done");
            return 0;
        }
        finally { await UnconfigureAsync(); }
    }

    /// <summary>What this worker measured, for its coordinator (<see cref="WorkerMerge"/>).</summary>
    private WorkerResult Result(int worker)
    {
        int phases = _profile.Phases.Count;
        HistogramData Merged(Func<LongHistogram[], LongHistogram> pick, List<LongHistogram[]> all)
        {
            var merged = new LongHistogram(TimeStamp.Seconds(120), 3);
            lock (_histograms) foreach (var h in all) merged.Add(pick(h));
            return HistogramData.Of(merged);
        }
        return new WorkerResult(worker, _sent.ToArray(), _acked.ToArray(), _errors.ToArray(),
            Enumerable.Range(0, phases).Select(_pacer.Dropped).ToArray(),
            Enumerable.Range(0, phases).Select(p => Merged(h => h[p], _histograms)).ToArray(),
            _scenarioSent.ToArray(), _scenarioAcked.ToArray(), _scenarioErrors.ToArray(),
            Enumerable.Range(0, ScenarioKinds).Select(k => Merged(h => h[k], _scenarioHistograms)).ToArray(),
            Interlocked.Read(ref _setupErrors), Interlocked.Read(ref _assignments), Interlocked.Read(ref _contextReady),
            new SocketFigures(Interlocked.Read(ref _peakSockets), Interlocked.Read(ref _refused429), Interlocked.Read(ref _rateLimited),
                Interlocked.Read(ref _reconnects), Interlocked.Read(ref _resent), Interlocked.Read(ref _gapResumes), Interlocked.Read(ref _helloRetries)),
            _timeline.Export(), _stats.Export(), _botConversations.Keys.ToArray()) { ErrorCodes = ErrorCodes() };
    }

    /// <summary>The coordinator's commands on a worker's stdin; its end (the coordinator gone) stops the worker.</summary>
    private sealed class WorkerCommands
    {
        public readonly TaskCompletionSource<long> Go = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Drain = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Stop = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WorkerCommands(TextReader input) => _ = Task.Run(async () =>
        {
            while (await input.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                switch (parts.FirstOrDefault())
                {
                    case "go" when parts.Length == 2 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var at): Go.TrySetResult(at); break;
                    case "drain": Drain.TrySetResult(); break;
                    case "stop": Stop.TrySetResult(); break;
                }
            }
            Go.TrySetResult(Stopwatch.GetTimestamp());
            Drain.TrySetResult();
            Stop.TrySetResult();
        });
    }

    // ---------------------------------------------------------------- coordinator

    /// <summary>One worker process as its coordinator sees it: its state and its latest counts.</summary>
    private sealed class WorkerProcess(int index, Process process)
    {
        public int Index => index;
        public Process Process => process;
        public readonly TaskCompletionSource Ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Played = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>sent, acked, errors, sockets, in flight, acked in its audit, received in its audit (-1 before the drain).</summary>
        public volatile long[] Tick = [0, 0, 0, 0, 0, -1, -1];
        public Task? Reading;

        public void Send(string command)
        {
            try
            {
                process.StandardInput.WriteLine(command);
                process.StandardInput.Flush();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException) { }
        }

        public void Read(string line)
        {
            if (!line.StartsWith('@')) { Console.WriteLine($"[worker {index}] {line}"); return; }
            var parts = line[1..].Split(' ');
            switch (parts[0])
            {
                case "ready": Ready.TrySetResult(); break;
                case "played": Played.TrySetResult(); break;
                case "drained": Drained.TrySetResult(); break;
                case "done": Done.TrySetResult(); break;
                case "tick" when parts.Length == 8:
                    Tick = parts.Skip(1).Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                    break;
            }
        }

        /// <summary>Waits for <paramref name="what"/>; fails if the process ends first or the time is up.</summary>
        public async Task Await(TaskCompletionSource what, string name, TimeSpan patience)
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(what.Task, exited, Task.Delay(patience));
            if (first == what.Task) return;
            throw new WorkerFailed(first == exited
                ? $"worker {index} exited ({process.ExitCode}) before it was {name}"
                : $"worker {index} was not {name} within {patience.TotalSeconds:F0} s");
        }
    }

    public sealed class WorkerFailed(string message) : Exception(message);

    /// <summary>How to start this program again: its apphost, or dotnet with its assembly (also when a test host runs the tool).</summary>
    public static (string File, string[] Arguments) WorkerCommand()
    {
        var path = Environment.ProcessPath;
        if (path is not null && Path.GetFileNameWithoutExtension(path) == "ChatLoad") return (path, []);
        var dotnet = path is not null && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return (dotnet, [typeof(LoadRun).Assembly.Location]);
    }

    private async Task<LoadReport> CoordinateAsync()
    {
        int count = _profile.Workers;
        var folder = Path.Combine(_options.ReportDirectory, $"{_startedAt:yyyyMMdd-HHmmss}-{_profile.Name}", "workers");
        Directory.CreateDirectory(folder);
        var epoch = Stopwatch.GetTimestamp();
        var workers = new List<WorkerProcess>();
        using var stop = new CancellationTokenSource();
        try
        {
            await ConfigureAsync(stop.Token);
            var (file, prefix) = WorkerCommand();
            for (int i = 0; i < count; i++)
            {
                var start = new ProcessStartInfo(file)
                {
                    UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true,
                    WorkingDirectory = Directory.GetCurrentDirectory(),
                };
                foreach (var a in prefix) start.ArgumentList.Add(a);
                // Its coordinator's arguments, then its place (a later value of a flag wins): the same profile, gateway, key, tenant and run id.
                foreach (var a in _options.Arguments) start.ArgumentList.Add(a);
                foreach (var a in new[] { "--workers", $"{count}", "--worker", $"{i}", "--run-id", _runId, "--worker-dir", folder, "--epoch", $"{epoch}",
                             "--tenant", _options.Tenant, "--gateway", _options.Gateway.ToString(), "--key", _options.SigningKeyFile })
                    start.ArgumentList.Add(a);
                var process = Process.Start(start) ?? throw new WorkerFailed($"worker {i} could not be started ({file})");
                var worker = new WorkerProcess(i, process);
                worker.Reading = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is { } line) worker.Read(line); });
                workers.Add(worker);
            }
            Console.WriteLine($"coordinating {count} workers (pids {string.Join(", ", workers.Select(w => w.Process.Id))}); their results in {folder}");
            var arrival = _profile.ArrivalsPerSecond > 0 ? _profile.Customers / _profile.ArrivalsPerSecond : 0;
            var setup = TimeSpan.FromSeconds(60 + 120 + arrival + 30);
            await Task.WhenAll(workers.Select(w => w.Await(w.Ready, "ready (agents online, customers assigned)", setup)));

            // One start for every worker's first phase, a moment ahead: phases line up across the processes.
            long startAt = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 2;
            foreach (var w in workers) w.Send($"go {startAt}");
            double Elapsed() => Math.Max(0, Stopwatch.GetElapsedTime(startAt).TotalSeconds);
            long Acked() => workers.Sum(w => w.Tick[1]);
            var pids = workers.Select(w => w.Process.Id).ToList();

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), startAt);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var drills = new DrillRunner(_profile.Drills, Elapsed,
                new PlatformDrills(_options.RepoRoot, Elapsed, Acked, _options.Tenant, redisPassword: PlatformSecrets.RedisPassword(_options.SigningKeyFile)), Mark);
            var drilling = drills.RunAsync(stop.Token);
            var samples = new List<IReadOnlyDictionary<string, PlatformProcesses.Usage>> { PlatformProcesses.Sample(_options.RepoRoot, pids) };
            var phaseTimes = new List<TimeSpan>();
            var phaseClock = Stopwatch.StartNew();
            Mark(new RunMark(0, "phase", _profile.Phases[0].Name));
            double end = 0, nextLine = 2;
            long[] last = [0, 0];
            for (int p = 0; p < _profile.Phases.Count; p++)
            {
                end += _profile.Phases[p].Seconds;
                while (Elapsed() < end)
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(end - Elapsed(), 0.001, 0.1)));
                    if (Elapsed() < nextLine) continue;
                    long sent = workers.Sum(w => w.Tick[0]), acked = Acked();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  [{Elapsed(),6:F0}s] {_profile.Phases[p].Name,-16} sent/s {(sent - last[0]) / 2,6} acked/s {(acked - last[1]) / 2,6}  errors {workers.Sum(w => w.Tick[2])}  sockets {workers.Sum(w => w.Tick[3])}  ({count} workers)"));
                    last = [sent, acked];
                    nextLine += 2;
                }
                phaseTimes.Add(phaseClock.Elapsed);
                samples.Add(PlatformProcesses.Sample(_options.RepoRoot, pids));
                phaseClock.Restart();
                if (p + 1 < _profile.Phases.Count) Mark(new RunMark(Elapsed(), "phase", _profile.Phases[p + 1].Name));
            }
            await Task.WhenAll(workers.Select(w => w.Await(w.Played, "done with the phases", TimeSpan.FromSeconds(30))));
            await drilling;

            foreach (var w in workers) w.Send("drain");
            await Task.WhenAll(workers.Select(w => w.Await(w.Drained, "done sending", TimeSpan.FromSeconds(60))));
            await DrainAsync(workers);
            foreach (var w in workers) w.Send("stop");
            await Task.WhenAll(workers.Select(w => w.Await(w.Done, "done", TimeSpan.FromSeconds(120))));
            foreach (var w in workers)
            {
                await w.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                if (w.Reading is { } reading) await reading;
                if (w.Process.ExitCode != 0) throw new WorkerFailed($"worker {w.Index} exited with {w.Process.ExitCode}");
            }

            var results = workers.Select(w => WorkerResult.Read(folder, w.Index)).ToList();
            _audit = DeliveryAudit.Join(workers.Select(w => WorkerResult.ReadAudit(folder, w.Index)));
            foreach (var id in results.SelectMany(r => r.BotConversations)) _botConversations[id] = true;
            var archive = _options.AuditArchive ? await CheckArchiveAsync() : null;
            return WorkerMerge.Report(_options, results, _audit.Result(archive), phaseTimes, samples, MarksInOrder(), _startedAt);
        }
        finally
        {
            stop.Cancel();
            foreach (var w in workers)
            {
                try { if (!w.Process.HasExited) w.Process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { }
                w.Process.Dispose();
            }
            await UnconfigureAsync();
        }
    }

    /// <summary>
    /// The drain across processes: what was sent is acked and what was acked has reached an agent. A worker cannot
    /// tell whether a message of its customers reached an agent another worker holds, so the coordinator waits
    /// (at most <see cref="Drain"/>) until nothing is in flight anywhere, the agents of all workers have received at
    /// least as many distinct messages as all customers had acked, and both counts have stood still for a second.
    /// The audit itself is exact (joined from the files); this only decides when to stop the sockets.
    /// </summary>
    private static async Task DrainAsync(IReadOnlyList<WorkerProcess> workers)
    {
        (long, long) last = (-1, -1);
        var steady = Stopwatch.StartNew();
        for (var until = Stopwatch.StartNew(); until.Elapsed < Drain; await Task.Delay(200))
        {
            var ticks = workers.Select(w => w.Tick).ToList();
            if (ticks.Any(t => t[5] < 0)) continue;
            long inFlight = ticks.Sum(t => t[4]), acked = ticks.Sum(t => t[5]), received = ticks.Sum(t => t[6]);
            if ((acked, received) != last) { last = (acked, received); steady.Restart(); }
            if (inFlight == 0 && received >= acked && steady.Elapsed >= TimeSpan.FromSeconds(1)) return;
        }
    }
}
