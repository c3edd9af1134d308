using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using CustomerService.ChatLoad.Scenarios;
using HdrHistogram;

namespace CustomerService.ChatLoad;

/// <summary>
/// The journeys of a mix beside chat (docs/loadtests.md, Scenarios): the bot-first tenant configured for bot-handoff,
/// a returning visitor's drop and comeback, an agent's transfer, the supervisor's reads, the admin's rule change, and
/// each scenario's figures at the end.
/// </summary>
public sealed partial class LoadRun
{
    private static readonly TimeSpan StepPatience = TimeSpan.FromSeconds(15);

    /// <summary>An agent's socket as the journeys see it: transfers are sent on it from outside the agent's loop.</summary>
    private sealed class AgentLink(string id, string tenant)
    {
        public string Id => id;
        public string Tenant => tenant;
        public volatile ClientWebSocket? Socket;
        public readonly SemaphoreSlim SendLock = new(1, 1);
        /// <summary>One transfer at a time per agent: Session's refusal names no conversation.</summary>
        public readonly SemaphoreSlim TransferLock = new(1, 1);
        public volatile TaskCompletionSource<string>? TransferRefused;

        public async Task SendAsync(ClientWebSocket socket, string frame, CancellationToken ct)
        {
            await SendLock.WaitAsync(ct);
            try { await LoadRun.SendAsync(socket, frame, ct); }
            finally { SendLock.Release(); }
        }
    }

    /// <summary>
    /// When each customer's mid-run event (returning-visitor's drop, transfer's transfer) happens, in seconds since
    /// the first phase started: the scenario's customers spread evenly over its from..to window of the phases.
    /// </summary>
    public static double[] MidRunEvents(IReadOnlyList<ScenarioEntry> mix, ScenarioKind[] journeys, double duration)
    {
        var at = new double[journeys.Length];
        foreach (var entry in mix.Where(e => e.Name is ScenarioKind.ReturningVisitor or ScenarioKind.Transfer))
        {
            var players = Enumerable.Range(0, journeys.Length).Where(i => journeys[i] == entry.Name).ToList();
            double from = entry.From ?? ScenarioEntry.DefaultFrom, to = entry.To ?? ScenarioEntry.DefaultTo;
            for (int j = 0; j < players.Count; j++) at[players[j]] = duration * (from + (to - from) * (j + 0.5) / players.Count);
        }
        return at;
    }

    private TimeSpan AwayFor(ScenarioKind kind) =>
        TimeSpan.FromMilliseconds(_mix.FirstOrDefault(e => e.Name == kind)?.AwayMs ?? ScenarioEntry.DefaultAwayMs);

    /// <summary>Until <paramref name="at"/> seconds into the phases (false if the customers stopped sending first).</summary>
    private async Task<bool> UntilAsync(double at, CancellationToken ct)
    {
        while (_pacer.CurrentPhase < 0 || _pacer.Elapsed < at)
        {
            if (_pacer.CurrentPhase >= _profile.Phases.Count) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp((at - _pacer.Elapsed) * 1000, 10, 200)), ct);
        }
        return !ct.IsCancellationRequested;
    }

    /// <summary>returning-visitor: the socket goes away mid-conversation (no close handshake, as a phone losing its network).</summary>
    private async Task DropLaterAsync(CustomerLink link, double at, CancellationToken sending)
    {
        if (!await UntilAsync(at, sending)) return;
        _stats.Expect(ScenarioKind.ReturningVisitor, "reconnect");
        _stats.Expect(ScenarioKind.ReturningVisitor, "resume");
        link.Dropping = true;
        try { link.Drop?.Cancel(); }
        catch (ObjectDisposedException) { link.Dropping = false; }
    }

    /// <summary>
    /// transfer: the customer's agent hands the conversation to the least loaded other agent of the tenant (the next
    /// one if Session refuses: at capacity, away); done when the customer is told of its new agent.
    /// </summary>
    private async Task TransferLaterAsync(CustomerLink link, string tenant, double at, CancellationToken sending)
    {
        if (!await UntilAsync(at, sending)) return;
        var conversation = link.Conversation;
        var from = conversation is null ? null : _audit.AgentOf(conversation);
        if (conversation is null || from is null || !_agentLinks.TryGetValue(from, out var source))
        {
            _stats.Failed(ScenarioKind.Transfer, "transfer");
            return;
        }
        var candidates = _agentLinks.Values.Where(a => a.Tenant == tenant && a.Id != from).OrderBy(a => _audit.LoadOf(a.Id)).Take(3).ToList();
        foreach (var target in candidates)
        {
            await source.TransferLock.WaitAsync(sending);
            try
            {
                if (source.Socket is not { State: WebSocketState.Open } socket) break;
                var assignment = link.NextAssignment = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                var refused = source.TransferRefused = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                long start = Stopwatch.GetTimestamp();
                await source.SendAsync(socket, $$"""{"type":"transfer","conversationId":"{{conversation}}","toAgent":"{{target.Id}}"}""", sending);
                var answer = await Task.WhenAny(assignment.Task, refused.Task, Task.Delay(StepPatience, sending));
                if (answer == assignment.Task && assignment.Task.Result != from)
                {
                    _stats.Done(ScenarioKind.Transfer, "transfer", start);
                    return;
                }
                if (answer != refused.Task) break; // no answer in time: counted below, not tried again
            }
            catch (Exception e) when (IsSocketFailure(e)) { break; }
            finally
            {
                source.TransferRefused = null;
                link.NextAssignment = null;
                source.TransferLock.Release();
            }
        }
        _stats.Failed(ScenarioKind.Transfer, "transfer");
    }

    /// <summary>The staff scenarios of the mix, beside the phases: the supervisor's reads and the admin's rule change.</summary>
    private Task StaffAsync(CancellationToken sending)
    {
        var staff = new List<Task>();
        var duration = _profile.Duration.TotalSeconds;
        if (_mix.FirstOrDefault(e => e.Name == ScenarioKind.Supervisor) is { } supervisor)
        {
            var token = _tokens.For(_options.Tenant, $"load-supervisor-{_runId}", "supervisor", "Load supervisor");
            var reads = new SupervisorReads(_options.Gateway, token, supervisor.Rate!.Value, AnyConversation, _stats, () => Interlocked.Increment(ref _refused429));
            staff.Add(Task.Run(async () => { if (await UntilAsync(0, sending)) await reads.RunAsync(() => _pacer.Elapsed, duration, sending); }));
        }
        if (_mix.FirstOrDefault(e => e.Name == ScenarioKind.AdminRuleChange) is { } change)
            staff.Add(Task.Run(() => ChangeRuleAsync(change.At!.Value, sending)));
        return Task.WhenAll(staff).ContinueWith(t =>
        {
            if (t.Exception?.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) is { } e) Console.Error.WriteLine($"staff: {e.Message}");
        }, TaskScheduler.Default);
    }

    /// <summary>One of the run's conversations in its own tenant, for the supervisor to read.</summary>
    private string? AnyConversation()
    {
        var conversations = _audit.Conversations.Where(c => !_botConversations.ContainsKey(c)).ToList();
        if (conversations.Count == 0) return null;
        if (_jitter is null) return conversations[Random.Shared.Next(conversations.Count)];
        lock (_jitter) return conversations[_jitter.Next(conversations.Count)];
    }

    /// <summary>
    /// admin-rule-change: a conversation from the rule's entry page goes to general (<c>before</c>); the admin writes
    /// the rule (<c>put-rule</c>); conversations from that page are opened one after another until one is assigned in
    /// the rule's group (<c>in-effect</c>: from Admin's answer to that assignment); three more must follow it too
    /// (<c>after</c>).
    /// </summary>
    private async Task ChangeRuleAsync(double at, CancellationToken sending)
    {
        foreach (var step in new[] { "before", "put-rule", "in-effect", "after" }) _stats.Expect(ScenarioKind.AdminRuleChange, step);
        if (!await UntilAsync(at, sending)) return;
        const ScenarioKind kind = ScenarioKind.AdminRuleChange;
        long start = Stopwatch.GetTimestamp();
        var group = await ProbeAsync("before", sending);
        if (group == RuleChange.DefaultGroup) _stats.Done(kind, "before", start);
        else _stats.Failed(kind, "before");

        using var admin = new AdminApi(_options.Gateway, _tokens.For(_options.Tenant, $"load-admin-{_runId}", "admin", "Load admin"));
        start = Stopwatch.GetTimestamp();
        try { await admin.PutAsync("routing_rules", RuleChange.Document, sending); }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TaskCanceledException)
        {
            _stats.Failed(kind, "put-rule");
            Console.Error.WriteLine($"admin-rule-change: {e.Message}");
            return;
        }
        _stats.Done(kind, "put-rule", start);
        _ruleWritten = true;

        start = Stopwatch.GetTimestamp();
        bool inEffect = false;
        for (int n = 0; !inEffect && Stopwatch.GetElapsedTime(start) < StepPatience && !sending.IsCancellationRequested; n++)
            inEffect = await ProbeAsync($"wait-{n}", sending) == RuleChange.Group;
        if (inEffect) _stats.Done(kind, "in-effect", start);
        else { _stats.Failed(kind, "in-effect"); return; }
        for (int n = 0; n < 3 && !sending.IsCancellationRequested; n++)
        {
            start = Stopwatch.GetTimestamp();
            if (await ProbeAsync($"after-{n}", sending) == RuleChange.Group) _stats.Done(kind, "after", start);
            else _stats.Failed(kind, "after");
        }
    }

    private volatile bool _ruleWritten;

    /// <summary>
    /// A short conversation from the rule's entry page: one message, its agent, then (once the agent's socket has the
    /// message, so the audit holds) ended. The skill group it was assigned in, or null when it was not in time.
    /// </summary>
    private async Task<string?> ProbeAsync(string name, CancellationToken sending)
    {
        var visitor = $"load-probe-{_runId}-{name}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(sending);
        timeout.CancelAfter(StepPatience);
        ClientWebSocket socket;
        try { socket = await ConnectAsync("/ws/customer", _tokens.For(_options.Tenant, visitor, "visitor", "Rule probe"), timeout.Token); }
        catch (Exception e) when (e is ConnectRefused or OperationCanceledException) { return null; }
        var buffer = new FrameBuffer(16 * 1024);
        string? conversation = null, group = null;
        bool parked = false;
        try
        {
            await SendAsync(socket, """{"type":"hello","echo":false}""", timeout.Token);
            await SendAsync(socket, $$"""{"type":"message","clientId":"{{name}}","text":"rule probe","entryPage":"{{RuleChange.EntryPage}}"}""", timeout.Token);
            while (group is null && await ReceiveAsync(socket, buffer, timeout.Token) is { } frame)
            {
                using var json = JsonDocument.Parse(frame);
                var root = json.RootElement;
                switch (root.GetProperty("type").GetString())
                {
                    case "ack":
                        conversation = root.GetProperty("conversationId").GetString()!;
                        _audit.Acked(conversation, root.GetProperty("seq").GetInt64(), root.GetProperty("clientId").GetString()!);
                        break;
                    case "assigned":
                        conversation ??= root.GetProperty("conversationId").GetString()!;
                        _audit.Assigned(conversation, root.GetProperty("agent").GetProperty("id").GetString()!);
                        group = root.TryGetProperty("skillGroup", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : "";
                        break;
                }
            }
            // A worker sees only its own agents' sockets: when another worker holds the probe's agent, this one cannot
            // tell when the agent has the message, so the probe stays open (its socket read) until the workers stop,
            // after the drain, and only then ends (ended at once, its agent may never have had it).
            if (conversation is not null && !HoldsAgentOf(conversation))
            {
                lock (_parkedProbes) _parkedProbes.Add(ParkAsync(socket, buffer, conversation));
                parked = true;
                return group;
            }
            while (conversation is not null && !_audit.IsDelivered(conversation)) await Task.Delay(20, timeout.Token);
            return group;
        }
        catch (Exception e) when (IsSocketFailure(e) || e is OperationCanceledException or JsonException) { return group; }
        finally
        {
            if (!parked) await EndProbeAsync(socket, conversation);
        }
    }

    /// <summary>A worker's probes whose agent another worker holds, open until the worker stops (<see cref="ParkAsync"/>).</summary>
    private readonly List<Task> _parkedProbes = [];
    private readonly CancellationTokenSource _workerStopping = new();

    private async Task ParkAsync(ClientWebSocket socket, FrameBuffer buffer, string conversation)
    {
        // Read on (pings answered, nothing kept), never cancelled: a cancelled receive aborts the socket, and the end must still go.
        var reading = Task.Run(async () =>
        {
            try { while (await ReceiveAsync(socket, buffer, CancellationToken.None) is not null) { } }
            catch (Exception e) when (IsSocketFailure(e)) { }
        });
        try { await Task.Delay(Timeout.Infinite, _workerStopping.Token); }
        catch (OperationCanceledException) { }
        await SendQuietlyAsync(socket, $$"""{"type":"end","conversationId":"{{conversation}}"}""");
        try
        {
            using var close = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            if (socket.State == WebSocketState.Open) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", close.Token);
        }
        catch (Exception e) when (IsSocketFailure(e) || e is OperationCanceledException) { }
        await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(2)));
        Closed(socket);
    }

    private async Task EndProbeAsync(ClientWebSocket socket, string? conversation)
    {
        {
            if (conversation is not null) await SendQuietlyAsync(socket, $$"""{"type":"end","conversationId":"{{conversation}}"}""");
            try
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                if (socket.State == WebSocketState.Open) await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", close.Token);
            }
            catch (Exception e) when (IsSocketFailure(e) || e is OperationCanceledException) { }
            Closed(socket);
        }
    }

    private bool HoldsAgentOf(string conversation) =>
        _options.Worker is null || (_audit.AgentOf(conversation) is { } agent && _agentLinks.ContainsKey(agent));

    /// <summary>bot-handoff's tenant: bot-first, with a rule that answers the visitors' question (BotTenant), before anyone arrives.</summary>
    private async Task ConfigureAsync(CancellationToken ct)
    {
        // Several processes: their coordinator configures the bot tenant once, before the workers start, and takes it back out.
        if (_botTenant is null || _options.Worker is not null) return;
        using var admin = BotAdmin();
        foreach (var (section, document) in BotTenant.Documents) await admin.PutAsync(section, document, ct);
        // Live configuration reaches Session and the Bot within a second of the write (docs/configuration.md).
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
    }

    /// <summary>Takes out the documents the run wrote: the run's tenants leave nothing in Admin's configuration.</summary>
    private async Task UnconfigureAsync()
    {
        if (_botTenant is not null && _options.Worker is null)
        {
            using var admin = BotAdmin();
            foreach (var (section, _) in BotTenant.Documents.Reverse())
                if (!await admin.DeleteAsync(section)) Console.Error.WriteLine($"warning: {_botTenant}'s {section} could not be deleted");
        }
        if (_ruleWritten)
        {
            using var admin = new AdminApi(_options.Gateway, _tokens.For(_options.Tenant, $"load-admin-{_runId}", "admin", "Load admin"));
            if (!await admin.DeleteAsync("routing_rules")) Console.Error.WriteLine($"warning: {_options.Tenant}'s routing_rules could not be deleted");
        }
    }

    private AdminApi BotAdmin() => new(_options.Gateway, _tokens.For(_botTenant!, $"load-admin-{_runId}", "admin", "Load admin"));

    /// <summary>The archive audit, as a supervisor of each tenant over that tenant's conversations.</summary>
    private async Task<ArchiveResult> CheckArchiveAsync()
    {
        string Supervisor(string tenant) => _tokens.For(tenant, $"load-supervisor-{_runId}", "supervisor", "Load supervisor");
        if (_botTenant is null) return await new ArchiveCheck(_options.Gateway, Supervisor(_options.Tenant)).RunAsync(_audit, TimeSpan.FromSeconds(60));
        // _audit and _botConversations: this run's, or in a coordinator those its workers' files were joined into.
        var bot = _audit.Conversations.Where(_botConversations.ContainsKey).ToList();
        var main = _audit.Conversations.Where(c => !_botConversations.ContainsKey(c)).ToList();
        var a = await new ArchiveCheck(_options.Gateway, Supervisor(_options.Tenant)).RunAsync(_audit, TimeSpan.FromSeconds(60), main);
        var b = await new ArchiveCheck(_options.Gateway, Supervisor(_botTenant)).RunAsync(_audit, TimeSpan.FromSeconds(60), bot);
        return new ArchiveResult(a.Archived + b.Archived, a.Lost + b.Lost, a.Doubled + b.Doubled, a.Refused + b.Refused);
    }

    /// <summary>Each scenario of the mix, in the profile's order: its players, its customers' messages, its steps.</summary>
    private IReadOnlyList<ScenarioResult> ScenarioResults() => _mix.Select(entry =>
    {
        int k = (int)entry.Name;
        if (!entry.IsCustomerJourney) return new ScenarioResult(entry.KindName, 1, 0, 0, 0, null, _stats.Steps(entry.Name));
        var latency = new LongHistogram(TimeStamp.Seconds(120), 3);
        lock (_histograms) foreach (var h in _scenarioHistograms) latency.Add(h[k]);
        return new ScenarioResult(entry.KindName, _journeys.Count(j => j == entry.Name), Interlocked.Read(ref _scenarioSent[k]),
            Interlocked.Read(ref _scenarioAcked[k]), Interlocked.Read(ref _scenarioErrors[k]), latency, _stats.Steps(entry.Name));
    }).ToList();
}
