using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CustomerService.ChatLoad.Drills;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Reports;
using HdrHistogram;

namespace CustomerService.ChatLoad;

/// <summary>
/// One run of a profile over real sockets through the gateway. Agents come online, customers arrive (each opens a
/// conversation and is assigned an agent), then the <see cref="Pacer"/> plays the phases: customers send when it
/// says, agents receive. End-to-end latency is customer send (open model: the intended send time) → agent
/// receive, with one clock since both ends run in this process. At the end the customers stop, the run waits for
/// what is still on its way, and the audit checks every acked message on its agent's socket and in the archive.
/// </summary>
public sealed class LoadRun
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(15);
    private readonly LoadOptions _options;
    private readonly Tokens _tokens;
    private readonly LoadProfile _profile;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly Pacer _pacer;
    private readonly Timeline _timeline;
    private readonly long[] _sent, _acked, _errors;
    private readonly List<LongHistogram[]> _histograms = [];
    private readonly DeliveryAudit _audit = new();
    private readonly List<RunMark> _marks = [];
    private long _assignments, _contextReady, _inFlight, _setupErrors;
    private long _sockets, _peakSockets, _refused429, _rateLimited;
    private readonly DateTime _startedAt = DateTime.UtcNow;

    public LoadRun(LoadOptions options, Tokens tokens)
    {
        _options = options;
        _tokens = tokens;
        _profile = options.Profile;
        _pacer = new Pacer(_profile, options.RateScale);
        _timeline = new Timeline((int)Math.Ceiling(_profile.Duration.TotalSeconds) + 1);
        _sent = new long[_profile.Phases.Count];
        _acked = new long[_profile.Phases.Count];
        _errors = new long[_profile.Phases.Count];
    }

    public async Task<LoadReport> ExecuteAsync()
    {
        using var stop = new CancellationTokenSource();
        using var stopSending = new CancellationTokenSource();
        var agents = new List<Task>();
        var agentsReady = new CountdownEvent(_profile.Agents);
        for (int i = 0; i < _profile.Agents; i++)
        {
            var histograms = _profile.Phases.Select(_ => new LongHistogram(TimeStamp.Seconds(120), 3)).ToArray();
            lock (_histograms) _histograms.Add(histograms);
            agents.Add(AgentAsync(i, histograms, agentsReady, stop.Token));
        }
        if (!agentsReady.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("agents did not come online");

        var customersReady = new CountdownEvent(_profile.Customers);
        // All at once (a burst), or arriving one after another at the given rate, as customers do on a normal day.
        var arrivals = _profile.ArrivalsPerSecond;
        var customers = Enumerable.Range(0, _profile.Customers).Select(i => arrivals > 0
            ? Task.Delay(TimeSpan.FromSeconds(i / arrivals), stop.Token).ContinueWith(_ => CustomerAsync(i, customersReady, stopSending.Token, stop.Token), TaskScheduler.Default).Unwrap()
            : CustomerAsync(i, customersReady, stopSending.Token, stop.Token)).ToList();
        var arrival = arrivals > 0 ? TimeSpan.FromSeconds(_profile.Customers / arrivals) : TimeSpan.Zero;
        if (!customersReady.Wait(TimeSpan.FromSeconds(120) + arrival)) Console.Error.WriteLine("warning: not every customer got an agent within 120 s of arriving");

        // The phases, with the platform's CPU sampled at every phase boundary.
        var usage = new List<IReadOnlyList<ProcessShare>>();
        var phaseTimes = new List<TimeSpan>();
        var playing = _pacer.RunAsync(stop.Token);
        // The drills on the pacer's clock, beside it; awaited after the phases (a recovery may outlast them).
        var drills = new DrillRunner(_profile.Drills, () => _pacer.Elapsed,
            new PlatformDrills(_options.RepoRoot, () => _pacer.Elapsed, () => _acked.Sum(), _options.Tenant), Mark);
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
        // Messages sent are still being acked, and what was acked is on its way to the agents: wait for both before
        // the audit counts (an ack arriving after the agents stopped reading would count as lost).
        for (var until = DateTime.UtcNow + Drain; (Interlocked.Read(ref _inFlight) > 0 || _audit.Missing() > 0) && DateTime.UtcNow < until;)
            await Task.Delay(200);
        stop.Cancel();
        await Task.WhenAll(customers.Concat(agents).Select(t => t.ContinueWith(_ => { })));
        var archive = _options.AuditArchive
            ? await new ArchiveCheck(_options.Gateway, _tokens.For(_options.Tenant, $"load-supervisor-{_runId}", "supervisor", "Load supervisor"))
                .RunAsync(_audit, TimeSpan.FromSeconds(60))
            : null;

        var phases = new List<PhaseResult>();
        for (int p = 0; p < _profile.Phases.Count; p++)
        {
            var merged = new LongHistogram(TimeStamp.Seconds(120), 3);
            lock (_histograms) foreach (var h in _histograms) merged.Add(h[p]);
            phases.Add(new PhaseResult(_profile.Phases[p], phaseTimes[p], _sent[p], _acked[p], _errors[p], _pacer.Dropped(p), merged, usage[p]));
        }
        return new LoadReport(_options, phases, total, Interlocked.Read(ref _setupErrors), Interlocked.Read(ref _assignments),
            Interlocked.Read(ref _contextReady), _audit.Result(archive), runUsage, _timeline.Figures(_timeline.Seconds), MarksInOrder(),
            new SocketFigures(Interlocked.Read(ref _peakSockets), Interlocked.Read(ref _refused429), Interlocked.Read(ref _rateLimited)), _startedAt);
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

    private void Error(int phase)
    {
        if (phase >= 0 && phase < _errors.Length) Interlocked.Increment(ref _errors[phase]);
        else Interlocked.Increment(ref _setupErrors);
        _timeline.Error(_pacer.Elapsed);
    }

    /// <summary>Opens a socket through the gateway; a 429 is counted as such (the per-IP limit shaping the load is a finding, never hidden).</summary>
    private async Task<ClientWebSocket> ConnectAsync(string path, string token, CancellationToken ct)
    {
        var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        var uri = new UriBuilder(_options.Gateway) { Scheme = _options.Gateway.Scheme == "https" ? "wss" : "ws", Path = path, Query = $"access_token={token}" }.Uri;
        try { await socket.ConnectAsync(uri, ct); }
        catch (WebSocketException) when (socket.HttpStatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _refused429);
            socket.Dispose();
            throw;
        }
        long open = Interlocked.Increment(ref _sockets);
        for (long peak = Interlocked.Read(ref _peakSockets); open > peak; peak = Interlocked.Read(ref _peakSockets))
            if (Interlocked.CompareExchange(ref _peakSockets, open, peak) == peak) break;
        return socket;
    }

    private void Closed(ClientWebSocket socket)
    {
        socket.Dispose();
        Interlocked.Decrement(ref _sockets);
    }

    private async Task AgentAsync(int index, LongHistogram[] histograms, CountdownEvent ready, CancellationToken ct)
    {
        var agentId = $"load-agent-{_runId}-{index}";
        var socket = await ConnectAsync("/ws/agent", _tokens.For(_options.Tenant, agentId, "agent", $"Load agent {index}"), ct);
        bool signalled = false;
        var buffer = new byte[256 * 1024];
        try
        {
            await SendAsync(socket, """{"type":"hello","status":"online"}""", ct);
            while (!ct.IsCancellationRequested)
            {
                var frame = await ReceiveAsync(socket, buffer, ct);
                if (frame is null) break;
                // Message frames are nearly all an agent receives: read in one pass, no document per frame.
                if (frame.Value.Span.IndexOf("\"type\":\"message\""u8) >= 0 && AgentMessage.TryRead(frame.Value.Span, out var m))
                {
                    if (!m.FromCustomer) continue;
                    _audit.Received(agentId, m.ConversationId, m.Seq, m.ClientId, live: true);
                    if (SendStamp.TryParse(m.Text, out var phase, out var sent) && phase < histograms.Length)
                    {
                        long latency = Stopwatch.GetTimestamp() - sent;
                        histograms[phase].RecordValue(Math.Clamp(latency, 0, histograms[phase].HighestTrackableValue));
                        _timeline.Latency(_pacer.Elapsed, latency * 1e6 / Stopwatch.Frequency);
                    }
                    continue;
                }
                using var json = JsonDocument.Parse(frame.Value);
                var type = json.RootElement.GetProperty("type").GetString();
                if (type == "welcome" && !signalled) { signalled = true; ready.Signal(); }
                else if (type == "conversation")
                {
                    // The customer context (CRM profile and recent orders, live or cached) there at assignment?
                    Interlocked.Increment(ref _assignments);
                    var conversation = json.RootElement.GetProperty("conversationId").GetString()!;
                    foreach (var message in json.RootElement.GetProperty("messages").EnumerateArray())
                        if (message.GetProperty("sender").GetProperty("kind").GetString() == "customer")
                            _audit.Received(agentId, conversation, message.GetProperty("seq").GetInt64(), message.GetProperty("clientId").GetString()!, live: false);
                    if (json.RootElement.TryGetProperty("context", out var context)
                        && context.TryGetProperty("profile", out var profile) && profile.TryGetProperty("status", out var ps) && ps.GetString() is "live" or "cached"
                        && context.TryGetProperty("orders", out var orders) && orders.TryGetProperty("status", out var os) && os.GetString() is "live" or "cached")
                        Interlocked.Increment(ref _contextReady);
                }
                else if (type == "error")
                {
                    Error(_pacer.CurrentPhase);
                    if (Interlocked.Read(ref _setupErrors) + _errors.Sum() <= 5) Console.Error.WriteLine($"agent {index}: {json.RootElement}");
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        finally
        {
            if (!signalled) ready.Signal();
            await SendQuietlyAsync(socket, """{"type":"presence","status":"offline"}""");
            Closed(socket);
        }
    }

    /// <param name="sending">Cancelled when the customers stop sending (their sockets stay for the drain).</param>
    private async Task CustomerAsync(int index, CountdownEvent ready, CancellationToken sending, CancellationToken ct)
    {
        var token = _tokens.For(_options.Tenant, $"load-visitor-{_runId}-{index}", "visitor", $"Visitor {index}");
        ClientWebSocket? socket = null;
        string? conversation = null;
        bool signalled = false;
        try
        {
            socket = await ConnectAsync("/ws/customer", token, ct);
            var buffer = new byte[64 * 1024];
            await SendAsync(socket, """{"type":"hello"}""", ct);
            await SendAsync(socket, $$"""{"type":"message","clientId":"{{index}}-open","text":"hello"}""", ct);
            int retries = 0;
            while (conversation is null || !signalled)
            {
                var frame = await ReceiveAsync(socket, buffer, ct) ?? throw new WebSocketException("closed before assignment");
                using var json = JsonDocument.Parse(frame);
                var type = json.RootElement.GetProperty("type").GetString();
                if (type == "ack")
                {
                    conversation = json.RootElement.GetProperty("conversationId").GetString()!;
                    _audit.Acked(conversation, json.RootElement.GetProperty("seq").GetInt64(), json.RootElement.GetProperty("clientId").GetString()!);
                }
                else if (type == "assigned")
                {
                    _audit.Assigned(json.RootElement.GetProperty("conversationId").GetString()!, json.RootElement.GetProperty("agent").GetProperty("id").GetString()!);
                    signalled = true;
                    ready.Signal();
                }
                else if (type == "error" && json.RootElement.GetProperty("code").GetString() is "unavailable" or "internal" && ++retries <= 5)
                {
                    // A busy platform says so; the widget sends the same frame again, and so does this customer.
                    Interlocked.Increment(ref _setupErrors);
                    await Task.Delay(200 * retries, ct);
                    await SendAsync(socket, $$"""{"type":"message","clientId":"{{index}}-open","text":"hello"}""", ct);
                }
                else if (type == "error") throw new InvalidOperationException(json.RootElement.ToString());
            }

            var window = new SemaphoreSlim(_profile.Window);
            var reader = Task.Run(async () =>
            {
                while (!ct.IsCancellationRequested)
                {
                    var frame = await ReceiveAsync(socket, buffer, ct);
                    if (frame is null) break;
                    var span = frame.Value.Span;
                    if (span.IndexOf("\"type\":\"ack\""u8) >= 0)
                    {
                        var (seq, clientId) = AckOf(span);
                        _audit.Acked(conversation, seq, clientId);
                        if (_pacer.CurrentPhase is var p && p >= 0 && p < _acked.Length) Interlocked.Increment(ref _acked[p]);
                        _timeline.Acked(_pacer.Elapsed);
                        Interlocked.Decrement(ref _inFlight);
                        window.Release();
                    }
                    else if (span.IndexOf("\"type\":\"assigned\""u8) >= 0)
                    {
                        using var assigned = JsonDocument.Parse(frame.Value);
                        _audit.Assigned(conversation, assigned.RootElement.GetProperty("agent").GetProperty("id").GetString()!);
                    }
                    else if (span.IndexOf("\"type\":\"error\""u8) >= 0)
                    {
                        if (span.IndexOf("\"rate_limited\""u8) >= 0) Interlocked.Increment(ref _rateLimited);
                        Error(_pacer.CurrentPhase);
                        Interlocked.Decrement(ref _inFlight);
                        window.Release();
                    }
                }
            }, ct);
            try
            {
                for (long n = 0; !sending.IsCancellationRequested; n++)
                {
                    await window.WaitAsync(sending);
                    if (await _pacer.NextAsync(index, sending) is not { } turn) { window.Release(); break; }
                    Interlocked.Increment(ref _inFlight);
                    Interlocked.Increment(ref _sent[turn.Phase]);
                    _timeline.Sent(_pacer.Elapsed);
                    await SendAsync(socket, $$"""{"type":"message","conversationId":"{{conversation}}","clientId":"{{index}}-{{n}}","text":"{{SendStamp.Format(turn.Phase, turn.Intended)}}"}""", ct);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            await reader;
        }
        catch (Exception e) when (e is OperationCanceledException) { }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException)
        {
            Error(_pacer.CurrentPhase);
            Console.Error.WriteLine($"customer {index}: {e.Message}");
        }
        finally
        {
            if (!signalled) ready.Signal();
            if (socket is not null)
            {
                if (conversation is not null) await SendQuietlyAsync(socket, $$"""{"type":"end","conversationId":"{{conversation}}"}""");
                Closed(socket);
            }
        }
    }

    /// <summary>seq and clientId of an ack frame, read in one pass (the customers' hot loop: no document built per ack).</summary>
    private static (long Seq, string ClientId) AckOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        long seq = 0;
        string clientId = "";
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            if (reader.ValueTextEquals("seq"u8) && reader.Read()) seq = reader.GetInt64();
            else if (reader.ValueTextEquals("clientId"u8) && reader.Read()) clientId = reader.GetString()!;
        }
        return (seq, clientId);
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

    private static async Task<ReadOnlyMemory<byte>?> ReceiveAsync(ClientWebSocket socket, byte[] buffer, CancellationToken ct)
    {
        int length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            length += result.Count;
            if (result.EndOfMessage) return buffer.AsMemory(0, length);
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
    public static string Format(int phase, long timestamp) => $"t={timestamp} p={phase}";

    public static bool TryParse(string? text, out int phase, out long timestamp)
    {
        phase = 0; timestamp = 0;
        if (text is null || !text.StartsWith("t=", StringComparison.Ordinal)) return false;
        var space = text.IndexOf(" p=", StringComparison.Ordinal);
        return space > 2 && long.TryParse(text.AsSpan(2, space - 2), out timestamp) && int.TryParse(text.AsSpan(space + 3), out phase) && phase >= 0;
    }
}
