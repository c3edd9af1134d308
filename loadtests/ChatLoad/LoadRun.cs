using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CustomerService.ChatLoad.Drills;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Reports;
using CustomerService.ChatLoad.Scenarios;
using HdrHistogram;

namespace CustomerService.ChatLoad;

/// <summary>
/// One run of a profile over real sockets through the gateway. Agents come online, customers arrive (each opens a
/// conversation and is assigned an agent), then the <see cref="Pacer"/> plays the phases: customers send when it
/// says, agents receive. End-to-end latency is customer send (open model: the intended send time) → agent
/// receive, with one clock since both ends run in this process. At the end the customers stop, the run waits for
/// what is still on its way, and the audit checks every acked message on its agent's socket and in the archive.
/// A profile's <c>scenarios</c> mix journeys: customers play theirs (LoadRun.Journeys.cs), staff read and configure.
/// </summary>
public sealed partial class LoadRun
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(15);
    private readonly LoadOptions _options;
    private readonly Tokens _tokens;
    private readonly LoadProfile _profile;
    private readonly string _runId;
    private readonly Pacer _pacer;
    private readonly Timeline _timeline;
    private readonly long[] _sent, _acked, _errors;
    private readonly List<LongHistogram[]> _histograms = [];
    private DeliveryAudit _audit;
    private readonly List<RunMark> _marks = [];
    private long _assignments, _contextReady, _inFlight, _setupErrors;
    private long _sockets, _peakSockets, _refused429, _rateLimited, _reconnects, _resent, _gapResumes, _helloRetries;
    private int _dropsLogged;
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private static readonly int ScenarioKinds = Enum.GetValues<ScenarioKind>().Length;
    private readonly IReadOnlyList<ScenarioEntry> _mix;
    private readonly ScenarioKind[] _journeys;
    private readonly double[] _eventAt;
    private readonly long[] _scenarioSent = new long[ScenarioKinds], _scenarioAcked = new long[ScenarioKinds], _scenarioErrors = new long[ScenarioKinds];
    private readonly List<LongHistogram[]> _scenarioHistograms = [];
    private readonly JourneyStats _stats = new();
    /// <summary>The bot-first tenant of bot-handoff's visitors (the run's tenant + "-bot"), null without them.</summary>
    private readonly string? _botTenant;
    private readonly ConcurrentDictionary<string, bool> _botConversations = new();
    private readonly ConcurrentDictionary<string, AgentLink> _agentLinks = new();

    public LoadRun(LoadOptions options, Tokens tokens)
    {
        _options = options;
        _tokens = tokens;
        _profile = options.Profile;
        _runId = options.Worker?.RunId ?? Guid.NewGuid().ToString("N")[..8];
        _audit = new DeliveryAudit(options.Worker?.Epoch);
        // A worker injects its share of every open phase's rate; its own random choices have a seed of their own.
        _pacer = new Pacer(_profile, options.RateScale * (options.Worker is { } w ? Workers.WorkerSplit.RateShare(w.Count) : 1));
        _jitter = options.Worker is { } slice ? new Random(Workers.WorkerSplit.Seed(_profile.Seed, slice.Index)) : null;
        _timeline = new Timeline((int)Math.Ceiling(_profile.Duration.TotalSeconds) + 1);
        _sent = new long[_profile.Phases.Count];
        _acked = new long[_profile.Phases.Count];
        _errors = new long[_profile.Phases.Count];
        _mix = ScenarioMix.Of(_profile.Scenarios);
        _journeys = ScenarioMix.Assign(_mix, _profile.Customers);
        _eventAt = MidRunEvents(_mix, _journeys, _profile.Duration.TotalSeconds);
        _botTenant = _journeys.Contains(ScenarioKind.BotHandoff) ? options.Tenant + "-bot" : null;
    }

    public async Task<LoadReport> ExecuteAsync()
    {
        if (_options.Worker is not null) throw new InvalidOperationException("a worker plays RunWorkerAsync; its coordinator reports");
        // workers > 1: this process coordinates that many worker processes and merges their results (LoadRun.Workers.cs).
        if (_profile.Workers > 1) return await CoordinateAsync();
        using var stop = new CancellationTokenSource();
        using var stopSending = new CancellationTokenSource();
        try { return await PlayAsync(stop, stopSending); }
        finally { await UnconfigureAsync(); }
    }

    private async Task<LoadReport> PlayAsync(CancellationTokenSource stop, CancellationTokenSource stopSending)
    {
        await ConfigureAsync(stop.Token);
        var (agents, customers, staff) = await PopulateAsync(stop, stopSending);

        // The phases, with the platform's CPU sampled at every phase boundary.
        var usage = new List<IReadOnlyList<ProcessShare>>();
        var phaseTimes = new List<TimeSpan>();
        var playing = _pacer.RunAsync(stop.Token);
        // The drills on the pacer's clock, beside it; awaited after the phases (a recovery may outlast them).
        var drills = new DrillRunner(_profile.Drills, () => _pacer.Elapsed,
            new PlatformDrills(_options.RepoRoot, () => _pacer.Elapsed, () => _acked.Sum(), _options.Tenant,
                redisPassword: PlatformSecrets.RedisPassword(_options.SigningKeyFile)), Mark);
        var drilling = drills.RunAsync(stop.Token);
        var sample = PlatformProcesses.Sample(_options.RepoRoot);
        var runSample = sample;
        var phaseClock = Stopwatch.StartNew();
        Mark(new RunMark(0, "phase", _profile.Phases[0].Name));
        var progress = new RunProgress(_timeline, Console.Out);
        for (int seen = 0; seen < _profile.Phases.Count;)
        {
            await Task.WhenAny(playing, Task.Delay(20));
            progress.Tick(_pacer.Elapsed, _profile.Phases[Math.Clamp(_pacer.CurrentPhase, 0, _profile.Phases.Count - 1)].Name,
                Interlocked.Read(ref _sockets), _errors.Sum() + Interlocked.Read(ref _setupErrors));
            if (_pacer.CurrentPhase <= seen) continue;
            if (seen + 1 < _profile.Phases.Count) Mark(new RunMark(_pacer.Elapsed, "phase", _profile.Phases[seen + 1].Name));
            var now = PlatformProcesses.Sample(_options.RepoRoot);
            phaseTimes.Add(phaseClock.Elapsed);
            usage.Add(ProcessShare.Between(sample, now, phaseClock.Elapsed, Interlocked.Read(ref _acked[seen])));
            sample = now;
            phaseClock.Restart();
            seen++;
        }
        await playing;
        await drilling;
        var total = TimeSpan.FromTicks(phaseTimes.Sum(t => t.Ticks));
        var runUsage = ProcessShare.Between(runSample, sample, total, _acked.Sum());

        stopSending.Cancel();
        await staff;
        // Messages sent are still being acked, and what was acked is on its way to the agents: wait for both before
        // the audit counts (an ack arriving after the agents stopped reading would count as lost).
        for (var until = DateTime.UtcNow + Drain; (Interlocked.Read(ref _inFlight) > 0 || _audit.Missing() > 0) && DateTime.UtcNow < until;)
            await Task.Delay(200);
        stop.Cancel();
        await Task.WhenAll(customers.Concat(agents).Select(t => t.ContinueWith(_ => { })));
        var archive = _options.AuditArchive ? await CheckArchiveAsync() : null;

        var phases = new List<PhaseResult>();
        for (int p = 0; p < _profile.Phases.Count; p++)
        {
            var merged = new LongHistogram(TimeStamp.Seconds(120), 3);
            lock (_histograms) foreach (var h in _histograms) merged.Add(h[p]);
            phases.Add(new PhaseResult(_profile.Phases[p], phaseTimes[p], _sent[p], _acked[p], _errors[p], _pacer.Dropped(p), merged, usage[p]));
        }
        return new LoadReport(_options, phases, total, Interlocked.Read(ref _setupErrors), Interlocked.Read(ref _assignments),
            Interlocked.Read(ref _contextReady), _audit.Result(archive), runUsage, _timeline.Figures(_timeline.Seconds), MarksInOrder(),
            new SocketFigures(Interlocked.Read(ref _peakSockets), Interlocked.Read(ref _refused429), Interlocked.Read(ref _rateLimited),
                Interlocked.Read(ref _reconnects), Interlocked.Read(ref _resent), Interlocked.Read(ref _gapResumes),
                Interlocked.Read(ref _helloRetries)), _startedAt, ScenarioResults()) { ErrorCodes = ErrorCodes() };
    }

    /// <summary>Agents online, then the customers arriving (a worker: those it holds), the staff scenarios beside them.</summary>
    private async Task<(List<Task> Agents, List<Task> Customers, Task Staff)> PopulateAsync(CancellationTokenSource stop, CancellationTokenSource stopSending)
    {
        var agents = new List<Task>();
        var agentsReady = new CountdownEvent(Enumerable.Range(0, _profile.Agents).Count(i => _options.Worker?.HoldsAgent(i) ?? true));
        int botCustomers = _journeys.Count(k => k == ScenarioKind.BotHandoff);
        var (mainAgents, _) = ScenarioMix.SplitAgents(_profile.Agents, _profile.Customers - botCustomers, botCustomers);
        // The rule the admin changes mid-run names a group of its own: the run's agents are in it as well as in general.
        string[]? skills = _mix.Any(s => s.Name == ScenarioKind.AdminRuleChange) ? [RuleChange.DefaultGroup, RuleChange.Group] : null;
        for (int i = 0; i < _profile.Agents; i++)
        {
            if (_options.Worker is { } worker && !worker.HoldsAgent(i)) continue;
            var histograms = _profile.Phases.Select(_ => new LongHistogram(TimeStamp.Seconds(120), 3)).ToArray();
            var byScenario = Enumerable.Range(0, ScenarioKinds).Select(_ => new LongHistogram(TimeStamp.Seconds(120), 3)).ToArray();
            lock (_histograms) { _histograms.Add(histograms); _scenarioHistograms.Add(byScenario); }
            var tenant = i < mainAgents ? _options.Tenant : _botTenant!;
            agents.Add(AgentAsync(i, tenant, i < mainAgents ? skills : null, histograms, byScenario, agentsReady, stop.Token));
        }
        if (!agentsReady.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("agents did not come online");

        // A worker holds its share of the customers, each with its index (and so its id, journey and arrival time) in the whole run.
        var held = Enumerable.Range(0, _profile.Customers).Where(i => _options.Worker?.HoldsCustomer(i) ?? true).ToList();
        var customersReady = new CountdownEvent(held.Count);
        // All at once (a burst), or arriving one after another at the given rate, as customers do on a normal day.
        var arrivals = _profile.ArrivalsPerSecond;
        var customers = held.Select(i => arrivals > 0
            ? Task.Delay(TimeSpan.FromSeconds(i / arrivals), stop.Token).ContinueWith(_ => CustomerAsync(i, customersReady, stopSending.Token, stop.Token), TaskScheduler.Default).Unwrap()
            : CustomerAsync(i, customersReady, stopSending.Token, stop.Token)).ToList();
        var staff = _options.Worker is { PlaysStaff: false } ? Task.CompletedTask : StaffAsync(stopSending.Token);
        var arrival = arrivals > 0 ? TimeSpan.FromSeconds(_profile.Customers / arrivals) : TimeSpan.Zero;
        if (!customersReady.Wait(TimeSpan.FromSeconds(120) + arrival)) Console.Error.WriteLine("warning: not every customer got an agent within 120 s of arriving");
        return (agents, customers, staff);
    }

    /// <summary>Marks a moment of the run on the report's time axis (a phase start, a drill).</summary>
    public void Mark(RunMark mark)
    {
        lock (_marks) _marks.Add(mark);
    }

    private IReadOnlyList<RunMark> MarksInOrder()
    {
        lock (_marks) return _marks.OrderBy(m => m.AtSeconds).ToList();
    }

    /// <summary>Errors by the code of their error frame ("client": an answer the tool could not read).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _errorCodes = new();

    private IReadOnlyDictionary<string, long> ErrorCodes() => new SortedDictionary<string, long>(_errorCodes, StringComparer.Ordinal);

    private void Error(int phase, string code)
    {
        _errorCodes.AddOrUpdate(code, 1, (_, n) => n + 1);
        if (phase >= 0 && phase < _errors.Length) Interlocked.Increment(ref _errors[phase]);
        else Interlocked.Increment(ref _setupErrors);
        _timeline.Error(_pacer.Elapsed);
    }

    /// <summary>
    /// Opens a socket through the gateway; a 429 is counted as such (the per-IP limit shaping the load is a finding,
    /// never hidden). A refused or failed upgrade is a <see cref="ConnectRefused"/> with the status the gateway answered.
    /// </summary>
    private async Task<ClientWebSocket> ConnectAsync(string path, string token, CancellationToken ct)
    {
        var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        var uri = new UriBuilder(_options.Gateway) { Scheme = _options.Gateway.Scheme == "https" ? "wss" : "ws", Path = path, Query = $"access_token={token}" }.Uri;
        try { await socket.ConnectAsync(uri, ct); }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException)
        {
            var status = socket.HttpStatusCode;
            if (status == System.Net.HttpStatusCode.TooManyRequests) Interlocked.Increment(ref _refused429);
            socket.Dispose();
            throw new ConnectRefused(status, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        long open = Interlocked.Increment(ref _sockets);
        for (long peak = Interlocked.Read(ref _peakSockets); open > peak; peak = Interlocked.Read(ref _peakSockets))
            if (Interlocked.CompareExchange(ref _peakSockets, open, peak) == peak) break;
        return socket;
    }

    private sealed class ConnectRefused(System.Net.HttpStatusCode status, Exception inner) : Exception($"socket refused ({(int)status}): {inner.Message}", inner)
    {
        public System.Net.HttpStatusCode Status => status;
    }

    private void Closed(ClientWebSocket socket)
    {
        socket.Dispose();
        Interlocked.Decrement(ref _sockets);
    }

    /// <summary>A socket that dropped (closed by the server, reset, or refused on reconnect): the first few are printed.</summary>
    private void Dropped(string who, Exception? e)
    {
        if (Interlocked.Increment(ref _dropsLogged) <= 5) Console.Error.WriteLine($"{who}: socket dropped ({e?.Message ?? "closed by the server"}), reconnecting");
    }

    private static bool IsSocketFailure(Exception e) => e is WebSocketException or IOException or HttpRequestException or ObjectDisposedException or ConnectRefused;

    private Task BackoffAsync(ref int attempt, CancellationToken ct) => Task.Delay(Backoff.Delay(attempt++, Jitter()), ct);

    /// <summary>A worker's own random choices, seeded from the profile's seed and its index (Workers/); else Random.Shared, as before workers.</summary>
    private readonly Random? _jitter;

    private double Jitter()
    {
        if (_jitter is null) return Random.Shared.NextDouble();
        lock (_jitter) return _jitter.NextDouble();
    }

    /// <summary>
    /// An agent: online through the gateway for the whole run, receiving its conversations' customer messages. A
    /// socket that drops (session or gateway killed, a restart) is opened again with <see cref="Backoff"/>; on every
    /// (re)connect it sends <c>hello</c> (the welcome has every open conversation of the agent's), then <c>resume</c>
    /// for each conversation it had before, from its last contiguous seq, as the widget does (docs/pages.md). A hole
    /// in a conversation's seqs that stays open for 2 s while the socket is up (a live delivery lost on the way) is
    /// resumed too. What comes in a welcome or a resume answer counts for the audit like a live frame.
    /// </summary>
    private async Task AgentAsync(int index, string tenant, string[]? skills, LongHistogram[] histograms, LongHistogram[] byScenario,
        CountdownEvent ready, CancellationToken ct)
    {
        var agentId = $"load-agent-{_runId}-{index}";
        var link = _agentLinks[agentId] = new AgentLink(agentId, tenant);
        string NewToken() => _tokens.For(tenant, agentId, "agent", $"Load agent {index}", skills);
        var token = NewToken();
        var seen = new SeqTracker();
        var buffer = new FrameBuffer(256 * 1024);
        bool signalled = false, wasOpen = false;
        int attempt = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                ClientWebSocket socket;
                try { socket = await ConnectAsync("/ws/agent", token, ct); }
                catch (ConnectRefused e)
                {
                    if (e.Status == System.Net.HttpStatusCode.Unauthorized) token = NewToken();
                    await BackoffAsync(ref attempt, ct);
                    continue;
                }
                if (wasOpen) Interlocked.Increment(ref _reconnects);
                var reconnected = wasOpen;
                wasOpen = true;
                Exception? failure = null;
                try
                {
                    await link.SendAsync(socket, AgentHello, ct);
                    link.Socket = socket;
                    // Conversations whose resume answer (a conversation frame) is awaited: not an assignment. One
                    // resume per conversation at a time, as the web console does: a hole is resumed again only when
                    // the answer has not come within ResumePatience (a resume sent every 2 s for the same hole while the
                    // first waited its turn for a stream read piled up reads faster than they drained: docs/performance.md,
                    // "Session 11").
                    var resuming = new Dictionary<string, (long LastSeq, long SentAt)>();
                    void Resuming(string conversation, long lastSeq) => resuming[conversation] = (lastSeq, Stopwatch.GetTimestamp());
                    bool welcomed = false;
                    int helloAttempt = 0;
                    long gapCheck = Stopwatch.GetTimestamp();
                    while (!ct.IsCancellationRequested)
                    {
                        var frame = await ReceiveAsync(socket, buffer, ct);
                        if (frame is null) break;
                        if (Stopwatch.GetElapsedTime(gapCheck) > TimeSpan.FromSeconds(1))
                        {
                            gapCheck = Stopwatch.GetTimestamp();
                            foreach (var (conversation, lastSeq) in seen.Gaps(TimeSpan.FromSeconds(2)))
                            {
                                if (resuming.TryGetValue(conversation, out var asked) && Stopwatch.GetElapsedTime(asked.SentAt) < ResumePatience) continue;
                                Interlocked.Increment(ref _gapResumes);
                                Resuming(conversation, lastSeq);
                                _audit.Note(conversation, $"{agentId} resume from {lastSeq} (a hole)");
                                await link.SendAsync(socket, Resume(conversation, lastSeq), ct);
                            }
                        }
                        // Message frames are nearly all an agent receives: read in one pass, no document per frame.
                        if (frame.Value.Span.IndexOf("\"type\":\"message\""u8) >= 0 && AgentMessage.TryRead(frame.Value.Span, out var m))
                        {
                            seen.Seen(m.ConversationId, m.Seq);
                            if (!m.FromCustomer) continue;
                            _audit.Received(agentId, m.ConversationId, m.Seq, m.ClientId, live: true);
                            if (SendStamp.TryParse(m.Text, out var phase, out var sent, out var scenario) && phase < histograms.Length)
                            {
                                long latency = Stopwatch.GetTimestamp() - sent;
                                histograms[phase].RecordValue(Math.Clamp(latency, 0, histograms[phase].HighestTrackableValue));
                                if (scenario < byScenario.Length) byScenario[scenario].RecordValue(Math.Clamp(latency, 0, byScenario[scenario].HighestTrackableValue));
                                _timeline.Latency(_pacer.Elapsed, latency * 1e6 / Stopwatch.Frequency);
                            }
                            continue;
                        }
                        using var json = JsonDocument.Parse(frame.Value);
                        var type = json.RootElement.GetProperty("type").GetString();
                        if (type == "welcome")
                        {
                            attempt = 0;
                            welcomed = true;
                            var known = seen.Conversations().ToHashSet();
                            var now = new HashSet<string>();
                            foreach (var c in json.RootElement.GetProperty("conversations").EnumerateArray())
                            {
                                var id = AgentSnapshot(agentId, c, seen);
                                now.Add(id);
                                _audit.Note(id, $"{agentId} welcome: {Described(c)}");
                                // The widget's reconnect: resume every conversation it had, from what it has.
                                if (reconnected && known.Contains(id))
                                {
                                    Resuming(id, seen.LastSeq(id));
                                    _audit.Note(id, $"{agentId} resume from {seen.LastSeq(id)} (reconnected)");
                                    await link.SendAsync(socket, Resume(id, seen.LastSeq(id)), ct);
                                }
                            }
                            // Not in the welcome: no longer the agent's (ended, or back in the queue while it was away).
                            foreach (var id in known) if (!now.Contains(id)) seen.Forget(id);
                            if (!signalled) { signalled = true; ready.Signal(); }
                        }
                        else if (type == "conversation")
                        {
                            var id = AgentSnapshot(agentId, json.RootElement, seen);
                            _audit.Note(id, $"{agentId} {(resuming.ContainsKey(id) ? "resume answer" : "conversation frame")}: {Described(json.RootElement)}");
                            if (resuming.Remove(id, out var resumed))
                            {
                                seen.Settled(id, resumed.LastSeq, json.RootElement.GetProperty("lastSeq").GetInt64());
                                continue;
                            }
                            // An assignment: the customer context (CRM profile and recent orders, live or cached) there?
                            Interlocked.Increment(ref _assignments);
                            if (json.RootElement.TryGetProperty("context", out var context)
                                && context.TryGetProperty("profile", out var profile) && profile.TryGetProperty("status", out var ps) && ps.GetString() is "live" or "cached"
                                && context.TryGetProperty("orders", out var orders) && orders.TryGetProperty("status", out var os) && os.GetString() is "live" or "cached")
                                Interlocked.Increment(ref _contextReady);
                        }
                        else if (type == "error")
                        {
                            var code = json.RootElement.TryGetProperty("code", out var codeProperty) ? codeProperty.GetString() : null;
                            // A transfer the platform refused (the target at capacity, away): the transfer step's failure (Journeys).
                            if (code == "transfer_failed" && link.TransferRefused is { } refused)
                            {
                                refused.TrySetResult(json.RootElement.GetProperty("message").GetString() ?? "");
                                continue;
                            }
                            Error(_pacer.CurrentPhase, code ?? "?");
                            // The hello itself failed (a dependency did not answer): no welcome, so none of the
                            // agent's conversations is joined on this socket. Say it again, as docs/protocol.md asks of
                            // an `unavailable` answer.
                            if (!welcomed && code is "unavailable" or "internal")
                            {
                                Interlocked.Increment(ref _helloRetries);
                                await Task.Delay(Backoff.Delay(helloAttempt++, Jitter()), ct);
                                await link.SendAsync(socket, AgentHello, ct);
                            }
                            if (Interlocked.Read(ref _setupErrors) + _errors.Sum() <= 5) Console.Error.WriteLine($"agent {index}: {json.RootElement}");
                        }
                    }
                }
                catch (Exception e) when (IsSocketFailure(e)) { failure = e; }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
                finally
                {
                    link.Socket = null;
                    await link.SendLock.WaitAsync(CancellationToken.None);
                    try
                    {
                        if (ct.IsCancellationRequested) await SendQuietlyAsync(socket, """{"type":"presence","status":"offline"}""");
                        Closed(socket);
                    }
                    finally { link.SendLock.Release(); }
                }
                if (ct.IsCancellationRequested) break;
                Dropped($"agent {index}", failure);
                await BackoffAsync(ref attempt, ct);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            if (!signalled) ready.Signal();
        }
    }

    /// <summary>How long an agent waits for a resume's answer before it asks again for the same conversation.</summary>
    private static readonly TimeSpan ResumePatience = TimeSpan.FromSeconds(30);

    private const string AgentHello = """{"type":"hello","status":"online","echo":false}""";

    private static string Resume(string conversation, long lastSeq) => $$"""{"type":"resume","conversationId":"{{conversation}}","lastSeq":{{lastSeq}}}""";

    /// <summary>A conversation frame for a trail line: its lastSeq and the seqs it holds.</summary>
    private static string Described(JsonElement conversation) =>
        $"lastSeq {conversation.GetProperty("lastSeq").GetInt64()}, holds "
        + DeliveryAudit.Ranges(conversation.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));

    /// <summary>A conversation frame (an assignment, a welcome's entry, a resume's answer) on an agent's socket: its customer messages are received.</summary>
    private string AgentSnapshot(string agentId, JsonElement conversation, SeqTracker seen)
    {
        var id = conversation.GetProperty("conversationId").GetString()!;
        foreach (var message in conversation.GetProperty("messages").EnumerateArray())
        {
            var seq = message.GetProperty("seq").GetInt64();
            seen.Seen(id, seq);
            if (message.GetProperty("sender").GetProperty("kind").GetString() == "customer")
                _audit.Received(agentId, id, seq, message.GetProperty("clientId").GetString()!, live: false);
        }
        return id;
    }

    /// <summary>The customer's socket now: null while it reconnects. Sends are one at a time (a ClientWebSocket allows one).</summary>
    private sealed class CustomerLink
    {
        public volatile ClientWebSocket? Socket;
        public volatile string? Conversation;
        public readonly SemaphoreSlim SendLock = new(1, 1);
        public int Attempt;
        /// <summary>When the journey's current step started (Stopwatch): the opener sent, the request for a person sent.</summary>
        public long StepStart;
        public int BotAnswered, FirstAssigned;
        /// <summary>returning-visitor: the socket is being dropped on purpose; the drop to cancel the read with.</summary>
        public volatile bool Dropping;
        public CancellationTokenSource? Drop;
        /// <summary>returning-visitor: when the reconnect and the resume started (Stopwatch), 0 when not waiting.</summary>
        public long ReconnectStart, ResumeStart;
        /// <summary>transfer: the next assignment after the first one (the agent it names).</summary>
        public volatile TaskCompletionSource<string>? NextAssignment;
    }

    /// <summary>
    /// A customer: opens a conversation, waits for its agent, then sends when the pacer says, at most the window's
    /// messages unacked at once. Every message goes into an <see cref="Outbox"/> until its ack; a socket that drops is
    /// opened again with <see cref="Backoff"/>, and on every reconnect the customer sends <c>hello</c>, <c>resume</c>
    /// of its conversation from its last contiguous seq, then every unacked message again with the same clientId
    /// (the widget's reconnect, docs/pages.md). A message refused with <c>unavailable</c>, <c>internal</c> or
    /// <c>rate_limited</c> is counted as an error and sent again (same clientId), as the protocol asks.
    /// </summary>
    /// <param name="sending">Cancelled when the customers stop sending (their sockets stay for the drain).</param>
    private async Task CustomerAsync(int index, CountdownEvent ready, CancellationToken sending, CancellationToken ct)
    {
        var kind = _journeys[index];
        var tenant = kind == ScenarioKind.BotHandoff ? _botTenant! : _options.Tenant;
        var visitor = $"load-visitor-{_runId}-{index}";
        var link = new CustomerLink();
        var outbox = new Outbox();
        var resentIds = new ConcurrentDictionary<string, bool>(); // sent again after a reconnect: their acks go in the trail
        var seen = new SeqTracker();
        var window = new SemaphoreSlim(_profile.Window);
        var assigned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var retries = new ConcurrentDictionary<string, int>();
        int signalled = 0;
        void Signal() { if (Interlocked.Exchange(ref signalled, 1) == 0) ready.Signal(); }
        var opener = kind == ScenarioKind.BotHandoff ? BotTenant.Question : "hello";
        outbox.Add($"{index}-open", $$"""{"type":"message","clientId":"{{index}}-open","text":"{{opener}}"}""", -1);

        // On the socket open now; false when there is none or it broke: the message stays in the outbox and goes
        // again after the reconnect.
        async Task<bool> TrySendAsync(string frame)
        {
            await link.SendLock.WaitAsync(ct);
            try
            {
                if (link.Socket is not { State: WebSocketState.Open } socket) return false;
                await SendAsync(socket, frame, ct);
                return true;
            }
            catch (Exception e) when (IsSocketFailure(e)) { return false; }
            finally { link.SendLock.Release(); }
        }

        void Settled(Outbox.Entry entry, bool acked)
        {
            retries.TryRemove(entry.ClientId, out _);
            if (entry.Phase < 0) return;
            if (acked)
            {
                Interlocked.Increment(ref _scenarioAcked[(int)kind]);
                if (_pacer.CurrentPhase is var p && p >= 0 && p < _acked.Length) Interlocked.Increment(ref _acked[p]);
                _timeline.Acked(_pacer.Elapsed);
            }
            Interlocked.Decrement(ref _inFlight);
            window.Release();
        }

        void OnError(JsonElement error)
        {
            var code = error.GetProperty("code").GetString();
            if (code == "rate_limited") Interlocked.Increment(ref _rateLimited);
            Error(_pacer.CurrentPhase, code ?? "?");
            Interlocked.Increment(ref _scenarioErrors[(int)kind]);
            if (!error.TryGetProperty("clientId", out var c) || c.GetString() is not { } clientId || outbox.Find(clientId) is not { } entry) return;
            if (link.Conversation is { } refusedIn) _audit.Note(refusedIn, $"customer {clientId} refused: {code}");
            if (code is "unavailable" or "internal" or "rate_limited" && retries.AddOrUpdate(clientId, 1, (_, n) => n + 1) is var n && n <= 20)
            {
                // The protocol's answer: send the same frame again (same clientId; nothing is doubled).
                var delay = error.TryGetProperty("retryAfterMs", out var after) && after.TryGetInt32(out var ms) ? TimeSpan.FromMilliseconds(ms) : Backoff.Delay(n - 1, Jitter());
                _ = Task.Delay(delay, ct).ContinueWith(t => t.IsCompletedSuccessfully && outbox.Find(clientId) is not null ? TrySendAsync(entry.Frame) : Task.FromResult(false), TaskScheduler.Default).Unwrap();
                return;
            }
            if (outbox.GiveUp(clientId) is { } given) Settled(given, acked: false);
            if (entry.Phase < 0) Console.Error.WriteLine($"customer {index}: {error}");
        }

        // A welcome's entry or a resume's answer: the agent it names is the one the customer is told of now.
        void Snapshot(JsonElement conversation)
        {
            var id = conversation.GetProperty("conversationId").GetString()!;
            if (id != link.Conversation) return;
            foreach (var message in conversation.GetProperty("messages").EnumerateArray()) seen.Seen(id, message.GetProperty("seq").GetInt64());
            if (conversation.TryGetProperty("agent", out var agent) && agent.ValueKind == JsonValueKind.Object
                && agent.GetProperty("id").GetString() is { } agentId && _audit.AgentOf(id) != agentId)
                _audit.Assigned(id, agentId);
        }

        async Task ReadAsync(ClientWebSocket socket, FrameBuffer buffer, CancellationToken reading)
        {
            while (!ct.IsCancellationRequested)
            {
                var frame = await ReceiveAsync(socket, buffer, reading);
                if (frame is null) return;
                var span = frame.Value.Span;
                if (span.IndexOf("\"type\":\"ack\""u8) >= 0)
                {
                    var (seq, clientId, conversation) = AckOf(span);
                    link.Conversation ??= conversation;
                    if (kind == ScenarioKind.BotHandoff) _botConversations[conversation] = true;
                    seen.Seen(conversation, seq);
                    _audit.Acked(conversation, seq, clientId);
                    if (resentIds.TryRemove(clientId, out _))
                        _audit.Note(conversation, $"customer ack {clientId} seq {seq}{(span.IndexOf("\"duplicate\":true"u8) >= 0 ? " (duplicate)" : "")}");
                    // Once per clientId: the duplicate ack of a resend finds nothing left to count.
                    if (outbox.Acked(clientId) is { } entry) Settled(entry, acked: true);
                    continue;
                }
                // A welcome holds message objects too: only a frame that reads as a message is one (else it is parsed below).
                if (span.IndexOf("\"type\":\"message\""u8) >= 0 && AgentMessage.TryRead(span, out var m))
                {
                    seen.Seen(m.ConversationId, m.Seq);
                    // bot-handoff: the bot's answer to the question, then the visitor asks for a person.
                    if (kind == ScenarioKind.BotHandoff && !m.FromCustomer && m.Text == BotTenant.Answer && Interlocked.Exchange(ref link.BotAnswered, 1) == 0)
                    {
                        _stats.Done(kind, "bot-answer", link.StepStart);
                        link.StepStart = Stopwatch.GetTimestamp();
                        var ask = $$"""{"type":"message","conversationId":"{{m.ConversationId}}","clientId":"{{index}}-person","text":"{{BotTenant.AskForPerson}}"}""";
                        outbox.Add($"{index}-person", ask, -1);
                        await TrySendAsync(ask);
                    }
                    continue;
                }
                using var json = JsonDocument.Parse(frame.Value);
                var root = json.RootElement;
                switch (root.GetProperty("type").GetString())
                {
                    case "assigned":
                        var conversationId = root.GetProperty("conversationId").GetString()!;
                        link.Conversation ??= conversationId;
                        var agentId = root.GetProperty("agent").GetProperty("id").GetString()!;
                        _audit.Assigned(conversationId, agentId);
                        if (Interlocked.Exchange(ref link.FirstAssigned, 1) == 0) FirstAssignment();
                        else link.NextAssignment?.TrySetResult(agentId);
                        assigned.TrySetResult();
                        Signal();
                        break;
                    case "welcome":
                        link.Attempt = 0;
                        if (Interlocked.Exchange(ref link.ReconnectStart, 0) is var reconnected and not 0) _stats.Done(kind, "reconnect", reconnected);
                        foreach (var c in root.GetProperty("conversations").EnumerateArray()) Snapshot(c);
                        break;
                    case "conversation":
                        // The answer to a returning visitor's resume (a customer gets conversation frames only so).
                        if (root.GetProperty("conversationId").GetString() == link.Conversation
                            && Interlocked.Exchange(ref link.ResumeStart, 0) is var resumed and not 0) _stats.Done(kind, "resume", resumed);
                        Snapshot(root);
                        break;
                    case "error":
                        OnError(root);
                        break;
                }
            }
        }

        // The first agent the customer is told of ends the journey's first steps.
        void FirstAssignment()
        {
            if (kind != ScenarioKind.BotHandoff) _stats.Done(kind, "assigned", link.StepStart);
            else if (link.BotAnswered == 1) _stats.Done(kind, "handoff", link.StepStart);
            else
            {
                // Assigned without the bot's answer: the tenant was not bot-first (yet), or the bot did not answer.
                _stats.Failed(kind, "bot-answer");
                _stats.Failed(kind, "handoff");
            }
        }

        async Task ConnectionAsync()
        {
            string NewToken() => _tokens.For(tenant, visitor, "visitor", $"Visitor {index}");
            var token = NewToken();
            var buffer = new FrameBuffer(64 * 1024);
            bool wasOpen = false, comingBack = false;
            while (!ct.IsCancellationRequested)
            {
                ClientWebSocket socket;
                try { socket = await ConnectAsync("/ws/customer", token, ct); }
                catch (ConnectRefused e)
                {
                    if (e.Status == System.Net.HttpStatusCode.Unauthorized) token = NewToken();
                    await BackoffAsync(ref link.Attempt, ct);
                    continue;
                }
                // A returning visitor's reconnect is its journey, not a drop the platform caused: not in reconnects or resent.
                if (wasOpen && !comingBack) Interlocked.Increment(ref _reconnects);
                Exception? failure = null;
                bool dropped = false;
                using var drop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                link.Drop = drop;
                try
                {
                    await link.SendLock.WaitAsync(ct);
                    try
                    {
                        await SendAsync(socket, """{"type":"hello","echo":false}""", ct);
                        if (wasOpen && link.Conversation is { } conversation)
                        {
                            if (comingBack) link.ResumeStart = Stopwatch.GetTimestamp();
                            await SendAsync(socket, Resume(conversation, seen.LastSeq(conversation)), ct);
                        }
                        if (!wasOpen) link.StepStart = Stopwatch.GetTimestamp();
                        foreach (var entry in outbox.Pending())
                        {
                            if (wasOpen && !comingBack) Interlocked.Increment(ref _resent);
                            if (wasOpen && link.Conversation is { } resentIn)
                            {
                                resentIds[entry.ClientId] = true;
                                _audit.Note(resentIn, $"customer resent {entry.ClientId}");
                            }
                            await SendAsync(socket, entry.Frame, ct);
                        }
                        link.Socket = socket;
                    }
                    finally { link.SendLock.Release(); }
                    wasOpen = true;
                    comingBack = false;
                    await ReadAsync(socket, buffer, drop.Token);
                }
                catch (Exception e) when (IsSocketFailure(e)) { failure = e; }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
                catch (OperationCanceledException) when (link.Dropping) { dropped = true; }
                finally
                {
                    link.Socket = null;
                    if (ct.IsCancellationRequested && link.Conversation is { } conversation)
                        await SendQuietlyAsync(socket, $$"""{"type":"end","conversationId":"{{conversation}}"}""");
                    await link.SendLock.WaitAsync(CancellationToken.None);
                    try { Closed(socket); } finally { link.SendLock.Release(); }
                }
                if (ct.IsCancellationRequested) break;
                // Dropped on purpose, whichever way the cancelled read surfaced (cancelled, or the aborted socket's error).
                if (dropped || link.Dropping)
                {
                    // Away for a moment, then back with the same visitor id: hello, resume from the last seq, the outbox again.
                    link.Dropping = false;
                    comingBack = true;
                    await Task.Delay(AwayFor(kind), ct);
                    link.ReconnectStart = Stopwatch.GetTimestamp();
                    continue;
                }
                Dropped($"customer {index}", failure);
                await BackoffAsync(ref link.Attempt, ct);
            }
        }

        var connection = ConnectionAsync();
        var midRun = Task.CompletedTask;
        try
        {
            await assigned.Task.WaitAsync(sending);
            midRun = kind switch
            {
                ScenarioKind.ReturningVisitor => DropLaterAsync(link, _eventAt[index], sending),
                ScenarioKind.Transfer => TransferLaterAsync(link, tenant, _eventAt[index], sending),
                _ => Task.CompletedTask,
            };
            for (long n = 0; !sending.IsCancellationRequested; n++)
            {
                await window.WaitAsync(sending);
                if (await _pacer.NextAsync(index, sending) is not { } turn) { window.Release(); break; }
                Interlocked.Increment(ref _inFlight);
                Interlocked.Increment(ref _sent[turn.Phase]);
                Interlocked.Increment(ref _scenarioSent[(int)kind]);
                _timeline.Sent(_pacer.Elapsed);
                var clientId = $"{index}-{n}";
                var frame = $$"""{"type":"message","conversationId":"{{link.Conversation}}","clientId":"{{clientId}}","text":"{{SendStamp.Format(turn.Phase, turn.Intended, (int)kind)}}"}""";
                outbox.Add(clientId, frame, turn.Phase);
                await TrySendAsync(frame);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        catch (OperationCanceledException) { }
        finally
        {
            try { await midRun; }
            catch (OperationCanceledException) { }
            try { await connection; }
            catch (OperationCanceledException) { }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                Error(_pacer.CurrentPhase, "client");
                Console.Error.WriteLine($"customer {index}: {e.Message}");
            }
            Signal();
        }
    }

    /// <summary>seq, clientId and conversation of an ack frame, read in one pass (the customers' hot loop: no document built per ack).</summary>
    private static (long Seq, string ClientId, string Conversation) AckOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        long seq = 0;
        string clientId = "", conversation = "";
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            if (reader.ValueTextEquals("seq"u8) && reader.Read()) seq = reader.GetInt64();
            else if (reader.ValueTextEquals("clientId"u8) && reader.Read()) clientId = reader.GetString()!;
            else if (reader.ValueTextEquals("conversationId"u8) && reader.Read()) conversation = reader.GetString()!;
        }
        return (seq, clientId, conversation);
    }

    private static Task SendAsync(ClientWebSocket socket, string frame, CancellationToken ct) =>
        socket.SendAsync(new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(frame)), WebSocketMessageType.Text, true, ct).AsTask();

    private static async Task SendQuietlyAsync(ClientWebSocket socket, string frame)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            if (socket.State == WebSocketState.Open) await SendAsync(socket, frame, cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>A receive buffer that grows to the largest frame (a welcome after a reconnect holds whole conversations).</summary>
    private sealed class FrameBuffer(int size)
    {
        public byte[] Bytes = new byte[size];
    }

    private static async Task<ReadOnlyMemory<byte>?> ReceiveAsync(ClientWebSocket socket, FrameBuffer buffer, CancellationToken ct)
    {
        int length = 0;
        while (true)
        {
            if (length == buffer.Bytes.Length) Array.Resize(ref buffer.Bytes, buffer.Bytes.Length * 2);
            var result = await socket.ReceiveAsync(buffer.Bytes.AsMemory(length), ct);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            length += result.Count;
            if (result.EndOfMessage) return buffer.Bytes.AsMemory(0, length);
        }
    }
}

/// <summary>The fields of a live message frame an agent needs, read in one pass of the frame's bytes.</summary>
public readonly record struct AgentMessage(string ConversationId, long Seq, string ClientId, string? Text, bool FromCustomer)
{
    public static bool TryRead(ReadOnlySpan<byte> json, out AgentMessage message)
    {
        message = default;
        string? type = null, conversation = null, clientId = null, text = null, senderKind = null;
        long seq = -1;
        bool inSender = false;
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 1) inSender = false;
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                if (reader.CurrentDepth == 1)
                {
                    if (reader.ValueTextEquals("type"u8) && reader.Read()) type = reader.GetString();
                    else if (reader.ValueTextEquals("conversationId"u8) && reader.Read()) conversation = reader.GetString();
                    else if (reader.ValueTextEquals("seq"u8) && reader.Read()) seq = reader.GetInt64();
                    else if (reader.ValueTextEquals("clientId"u8) && reader.Read()) clientId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    else if (reader.ValueTextEquals("text"u8) && reader.Read()) text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    else if (reader.ValueTextEquals("sender"u8) && reader.Read()) inSender = reader.TokenType == JsonTokenType.StartObject;
                    else { reader.Read(); reader.TrySkip(); }
                }
                else if (inSender && reader.CurrentDepth == 2 && reader.ValueTextEquals("kind"u8) && reader.Read()) senderKind = reader.GetString();
                else { reader.Read(); reader.TrySkip(); }
            }
        }
        catch (JsonException) { return false; }
        if (type != "message" || conversation is null || seq < 0) return false;
        message = new AgentMessage(conversation, seq, clientId ?? "", text, senderKind == "customer");
        return true;
    }
}

/// <summary>The text of a load message: the phase it was sent in and its (intended) send time, "t=TIMESTAMP p=PHASE".</summary>
public static class SendStamp
{
    /// <param name="scenario">The customer's journey (<see cref="ScenarioKind"/>); chat's (0) is left out, as before mixes.</param>
    public static string Format(int phase, long timestamp, int scenario = 0) =>
        scenario == 0 ? $"t={timestamp} p={phase}" : $"t={timestamp} p={phase} s={scenario}";

    public static bool TryParse(string? text, out int phase, out long timestamp) => TryParse(text, out phase, out timestamp, out _);

    public static bool TryParse(string? text, out int phase, out long timestamp, out int scenario)
    {
        phase = 0; timestamp = 0; scenario = 0;
        if (text is null || !text.StartsWith("t=", StringComparison.Ordinal)) return false;
        var space = text.IndexOf(" p=", StringComparison.Ordinal);
        if (space <= 2 || !long.TryParse(text.AsSpan(2, space - 2), out timestamp)) return false;
        var rest = text.AsSpan(space + 3);
        var s = rest.IndexOf(" s=");
        if (s >= 0 && (!int.TryParse(rest[(s + 3)..], out scenario) || scenario < 0)) return false;
        return int.TryParse(s >= 0 ? rest[..s] : rest, out phase) && phase >= 0;
    }
}
