using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace CustomerService.ChatLoad;

/// <summary>
/// The closed model: every customer keeps a fixed window of messages in flight (the next is sent when one is
/// acknowledged); agents receive them. End-to-end latency is customer send → agent receive, measured with one
/// clock since both ends run in this process. At the end the customers stop sending, the run waits for what is
/// still on its way, and the audit checks every acked message on its agent's socket and in the archive.
/// </summary>
public sealed class LoadRun(LoadOptions options, Tokens tokens)
{
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private long _acked, _received, _errors, _assignments, _contextReady, _inFlight;
    private volatile bool _measuring;
    private readonly List<LongHistogram> _histograms = [];
    private readonly DeliveryAudit _audit = new();
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(15);

    public async Task<LoadResult> ExecuteAsync()
    {
        using var stop = new CancellationTokenSource();
        using var stopSending = new CancellationTokenSource();
        var agents = new List<Task>();
        var agentsReady = new CountdownEvent(options.Agents);
        for (int i = 0; i < options.Agents; i++)
        {
            var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
            lock (_histograms) _histograms.Add(histogram);
            agents.Add(AgentAsync(i, histogram, agentsReady, stop.Token));
        }
        if (!agentsReady.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("agents did not come online");

        var customersReady = new CountdownEvent(options.Customers);
        // All at once (a burst), or arriving one after another at the given rate, as customers do on a normal day.
        var customers = Enumerable.Range(0, options.Customers).Select(i => options.Arrivals > 0
            ? Task.Delay(TimeSpan.FromSeconds(i / options.Arrivals), stop.Token).ContinueWith(_ => CustomerAsync(i, customersReady, stopSending.Token, stop.Token), TaskScheduler.Default).Unwrap()
            : CustomerAsync(i, customersReady, stopSending.Token, stop.Token)).ToList();
        var arrival = options.Arrivals > 0 ? TimeSpan.FromSeconds(options.Customers / options.Arrivals) : TimeSpan.Zero;
        if (!customersReady.Wait(TimeSpan.FromSeconds(120) + arrival)) Console.Error.WriteLine("warning: not every customer got an agent within 120 s of arriving");

        long ackedBefore = Interlocked.Read(ref _acked);
        var usageBefore = PlatformProcesses.Sample(options.RepoRoot);
        _measuring = true;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        _measuring = false;
        var elapsed = clock.Elapsed;
        long acked = Interlocked.Read(ref _acked) - ackedBefore;
        var usage = ProcessShare.Between(usageBefore, PlatformProcesses.Sample(options.RepoRoot), elapsed, acked);
        stopSending.Cancel();
        // Messages sent are still being acked, and what was acked is on its way to the agents: wait for both before
        // the audit counts (an ack arriving after the agents stopped reading would count as lost).
        for (var until = DateTime.UtcNow + Drain; (Interlocked.Read(ref _inFlight) > 0 || _audit.Missing() > 0) && DateTime.UtcNow < until;)
            await Task.Delay(200);
        stop.Cancel();
        await Task.WhenAll(customers.Concat(agents).Select(t => t.ContinueWith(_ => { })));
        var archive = options.AuditArchive
            ? await new ArchiveCheck(options.Gateway, tokens.For(options.Tenant, $"load-supervisor-{_runId}", "supervisor", "Load supervisor"))
                .RunAsync(_audit, TimeSpan.FromSeconds(60))
            : null;

        var merged = new LongHistogram(TimeStamp.Seconds(60), 3);
        lock (_histograms) foreach (var h in _histograms) merged.Add(h);
        return new LoadResult(acked / elapsed.TotalSeconds, merged, Interlocked.Read(ref _received), Interlocked.Read(ref _errors), elapsed,
            Interlocked.Read(ref _assignments), Interlocked.Read(ref _contextReady), _audit.Result(archive), usage);
    }

    private async Task<ClientWebSocket> ConnectAsync(string path, string token, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(options.Gateway) { Scheme = options.Gateway.Scheme == "https" ? "wss" : "ws", Path = path, Query = $"access_token={token}" }.Uri;
        await socket.ConnectAsync(uri, ct);
        return socket;
    }

    private async Task AgentAsync(int index, LongHistogram histogram, CountdownEvent ready, CancellationToken ct)
    {
        var agentId = $"load-agent-{_runId}-{index}";
        using var socket = await ConnectAsync("/ws/agent", tokens.For(options.Tenant, agentId, "agent", $"Load agent {index}"), ct);
        await SendAsync(socket, """{"type":"hello","status":"online"}""", ct);
        bool signalled = false;
        var buffer = new byte[256 * 1024];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var frame = await ReceiveAsync(socket, buffer, ct);
                if (frame is null) break;
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
                else if (type == "message" && json.RootElement.GetProperty("sender").GetProperty("kind").GetString() == "customer")
                {
                    _audit.Received(agentId, json.RootElement.GetProperty("conversationId").GetString()!, json.RootElement.GetProperty("seq").GetInt64(),
                        json.RootElement.GetProperty("clientId").GetString()!, live: true);
                    var text = json.RootElement.GetProperty("text").GetString()!;
                    if (text.StartsWith("t=", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), out var sent))
                    {
                        Interlocked.Increment(ref _received);
                        if (_measuring) histogram.RecordValue(Stopwatch.GetTimestamp() - sent);
                    }
                }
                else if (type == "error" && Interlocked.Increment(ref _errors) <= 5) Console.Error.WriteLine($"agent {index}: {json.RootElement}");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        finally
        {
            if (!signalled) ready.Signal();
            await SendQuietlyAsync(socket, """{"type":"presence","status":"offline"}""");
        }
    }

    /// <param name="sending">Cancelled when the customers stop sending (their sockets stay for the drain).</param>
    private async Task CustomerAsync(int index, CountdownEvent ready, CancellationToken sending, CancellationToken ct)
    {
        var token = tokens.For(options.Tenant, $"load-visitor-{_runId}-{index}", "visitor", $"Visitor {index}");
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
                    Interlocked.Increment(ref _errors);
                    await Task.Delay(200 * retries, ct);
                    await SendAsync(socket, $$"""{"type":"message","clientId":"{{index}}-open","text":"hello"}""", ct);
                }
                else if (type == "error") throw new InvalidOperationException(json.RootElement.ToString());
            }

            var window = new SemaphoreSlim(options.Window);
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
                        Interlocked.Increment(ref _acked);
                        Interlocked.Decrement(ref _inFlight);
                        window.Release();
                    }
                    else if (span.IndexOf("\"type\":\"assigned\""u8) >= 0)
                    {
                        using var assigned = JsonDocument.Parse(frame.Value);
                        _audit.Assigned(conversation, assigned.RootElement.GetProperty("agent").GetProperty("id").GetString()!);
                    }
                    else if (span.IndexOf("\"type\":\"error\""u8) >= 0) { Interlocked.Increment(ref _errors); Interlocked.Decrement(ref _inFlight); window.Release(); }
                }
            }, ct);
            try
            {
                for (long n = 0; !sending.IsCancellationRequested; n++)
                {
                    await window.WaitAsync(sending);
                    Interlocked.Increment(ref _inFlight);
                    await SendAsync(socket, $$"""{"type":"message","conversationId":"{{conversation}}","clientId":"{{index}}-{{n}}","text":"t={{Stopwatch.GetTimestamp()}}"}""", ct);
                    if (options.ThinkMs > 0) await Task.Delay(options.ThinkMs, sending);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            await reader;
        }
        catch (Exception e) when (e is OperationCanceledException) { }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException)
        {
            Interlocked.Increment(ref _errors);
            Console.Error.WriteLine($"customer {index}: {e.Message}");
        }
        finally
        {
            if (!signalled) ready.Signal();
            if (socket is not null)
            {
                if (conversation is not null) await SendQuietlyAsync(socket, $$"""{"type":"end","conversationId":"{{conversation}}"}""");
                socket.Dispose();
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

public sealed record LoadResult(double MessagesPerSecond, LongHistogram Latency, long Received, long Errors, TimeSpan Elapsed,
    long Assignments, long ContextReady, AuditResult Audit, IReadOnlyList<ProcessShare> Processes)
{
    public void Print(LoadOptions options)
    {
        double Ms(double percentile) => Latency.TotalCount == 0 ? double.NaN
            : Latency.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine($"customers={options.Customers} agents={options.Agents} window={options.Window} arrivals/s={(options.Arrivals > 0 ? options.Arrivals.ToString(System.Globalization.CultureInfo.InvariantCulture) : "all at once")} seconds={Elapsed.TotalSeconds:F1}");
        Console.WriteLine($"messages/s (acked, durable): {MessagesPerSecond:F0}");
        Console.WriteLine($"end-to-end customer→agent latency ms: p50={Ms(50):F2} p95={Ms(95):F2} p99={Ms(99):F2} max={Ms(100):F2} (n={Latency.TotalCount})");
        Console.WriteLine($"customer context ready at assignment: {ContextReady} of {Assignments} ({(Assignments == 0 ? 0 : 100.0 * ContextReady / Assignments):F1}%)");
        Console.WriteLine($"errors: {Errors}");
        Console.WriteLine($"audit: acked={Audit.Acked} delivered to the agent's socket={Audit.Delivered} lost={Audit.Lost} (in {Audit.ConversationsWithLoss} conversations) doubled={Audit.Doubled} never assigned={Audit.Unassigned} repeated live frames={Audit.RepeatedLive}");
        if (Audit.Archive is { } archive)
            Console.WriteLine($"archive: archived={archive.Archived} lost={archive.Lost} doubled={archive.Doubled} (429 while reading: {archive.Refused})");
        foreach (var example in Audit.LostExamples) Console.WriteLine($"  lost in {example}");
        Console.WriteLine(Audit.Passed ? "audit passed" : "AUDIT FAILED");
        if (Processes.Count == 0) return;
        Console.WriteLine($"CPU and memory over the measured window (100% = one core; µs of CPU per acked message), load average {File.ReadAllText("/proc/loadavg").Trim()}:");
        Console.WriteLine($"  {"process",-28} {"n",3} {"CPU %",7} {"µs/msg",8} {"RSS MB",8}");
        foreach (var p in Processes)
            Console.WriteLine($"  {p.Name,-28} {p.Processes,3} {p.CpuPercent,7:F1} {p.CpuMicrosPerMessage,8:F0} {p.RssBytes / 1048576.0,8:F0}");
        var platform = Processes.Where(p => p.Name != PlatformProcesses.LoadTool).ToList();
        Console.WriteLine($"  {"platform (all but the tool)",-28} {platform.Sum(p => p.Processes),3} {platform.Sum(p => p.CpuPercent),7:F1} {platform.Sum(p => p.CpuMicrosPerMessage),8:F0} {platform.Sum(p => p.RssBytes) / 1048576.0,8:F0}");
    }
}

/// <summary>One process group's share of the measured window.</summary>
public sealed record ProcessShare(string Name, int Processes, double CpuPercent, double CpuMicrosPerMessage, long RssBytes)
{
    public static IReadOnlyList<ProcessShare> Between(IReadOnlyDictionary<string, PlatformProcesses.Usage> before,
        IReadOnlyDictionary<string, PlatformProcesses.Usage> after, TimeSpan elapsed, long messages) =>
        after.Values.Select(a =>
        {
            double cpu = a.CpuSeconds - (before.TryGetValue(a.Name, out var b) ? b.CpuSeconds : 0);
            return new ProcessShare(a.Name, a.Processes, 100 * cpu / elapsed.TotalSeconds, messages == 0 ? 0 : cpu * 1e6 / messages, a.RssBytes);
        }).OrderByDescending(p => p.CpuPercent).ToList();
}
