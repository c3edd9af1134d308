using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Microsoft.Extensions.Options;

namespace CustomerService.Session.Messaging;

/// <summary>
/// Fan-out: every replica listens to every message, event and signal on NATS and hands each to the sockets it
/// holds for that conversation. The JetStream publish of a message is also its delivery, so a message is sent to
/// participants on other replicas without a second publish.
/// </summary>
public sealed partial class DeliveryListener(
    INatsConnection nats,
    INatsJSContext jetStream,
    ConnectionRegistry registry,
    ConversationStore store,
    ConversationHistory history,
    QueueWatcher queue,
    CustomerContextPreloader context,
    TenantPolicies policies,
    ShortMessageMerger merger,
    JoinProbe probe,
    DeliveryReadiness readiness,
    IOptions<SessionOptions> options,
    ILogger<DeliveryListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await EnsureStreamsAsync(stoppingToken);
        await Task.WhenAll(
            ListenAsync(Subjects.AllMessages, OnMessage, stoppingToken),
            ListenAsync(Subjects.AllConversationEvents, OnEventAsync, stoppingToken),
            ListenAsync(Subjects.AllDelivery, OnSignal, stoppingToken),
            ListenAsync(Subjects.AllAgentDelivery, OnAgentSignal, stoppingToken));
    }

    private async Task EnsureStreamsAsync(CancellationToken ct)
    {
        for (var delay = TimeSpan.FromMilliseconds(250); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                await ChatStreams.EnsureAsync(jetStream, ct);
                return;
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                LogWaitingForNats(e.Message);
                await Task.Delay(delay, ct);
            }
        }
    }

    private async Task ListenAsync(string subject, Func<string, byte[], ValueTask> handle, CancellationToken ct)
    {
        await using var subscription = await nats.SubscribeCoreAsync<byte[]>(subject, cancellationToken: ct);
        // A round trip after SUB: once the server answers the ping, it routes the subject to this replica.
        await nats.PingAsync(ct);
        readiness.Subscribed();
        await foreach (var msg in subscription.Msgs.ReadAllAsync(ct))
        {
            if (msg.Data is null) continue;
            try
            {
                await handle(msg.Subject, msg.Data);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDeliveryFailed(e, msg.Subject);
            }
        }
    }

    private ValueTask OnMessage(string subject, byte[] data)
    {
        if (!SubjectTokens.TryConversation(subject, out var tenant, out var conversation)) return ValueTask.CompletedTask;
        var receivers = registry.ForConversation(tenant, conversation);
        if (!receivers.Any()) return ValueTask.CompletedTask;
        var message = ChatMessage.Parser.ParseFrom(data);
        var key = ConnectionRegistry.ConversationKey(tenant, conversation);
        if (message.Sender.Kind == ParticipantKind.Customer && policies.MergesShortMessages(tenant, message.Sender.Id))
        {
            // Customers see their messages at once; agents may see a burst of short ones as one.
            Deliver(receivers.Where(c => c.Identity.IsCustomer), message);
            merger.Offer(key, message, merged => SendToAgents(tenant, conversation, merged));
            return ValueTask.CompletedTask;
        }
        if (message.Sender.Kind != ParticipantKind.Customer) merger.Flush(key, merged => SendToAgents(tenant, conversation, merged));
        Deliver(receivers, message);
        return ValueTask.CompletedTask;
    }

    /// <summary>The message to each socket but the one that sent it with echo off (its ack said all); serialized once, if at all.</summary>
    private static void Deliver(IEnumerable<ClientConnection> receivers, ChatMessage message)
    {
        byte[]? frame = null;
        foreach (var connection in receivers)
            if (!connection.IsOwnEcho(message)) connection.Send(frame ??= Frames.Serialize(Frames.Message(message)));
    }

    private void SendToAgents(string tenant, string conversation, ChatMessage message)
    {
        var frame = Frames.Serialize(Frames.Message(message));
        foreach (var connection in registry.ForConversation(tenant, conversation))
            if (!connection.Identity.IsCustomer) connection.Send(frame);
    }

    private ValueTask OnSignal(string subject, byte[] frame)
    {
        if (SubjectTokens.TryConversation(subject, out var tenant, out var conversation)) registry.Broadcast(tenant, conversation, frame);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnAgentSignal(string subject, byte[] frame)
    {
        if (!SubjectTokens.TryConversation(subject, out var tenant, out var conversation)) return ValueTask.CompletedTask;
        foreach (var connection in registry.ForConversation(tenant, conversation))
            if (!connection.Identity.IsCustomer) connection.Send(frame);
        return ValueTask.CompletedTask;
    }

    private async ValueTask OnEventAsync(string subject, byte[] data)
    {
        var e = ConversationEvent.Parser.ParseFrom(data);
        string tenant = e.TenantId, id = e.ConversationId;
        var state = ConversationStates.FromContract(e.State);
        switch (e.KindCase)
        {
            case ConversationEvent.KindOneofCase.Assigned:
            {
                queue.Forget(tenant, id);
                var assigned = Frames.Serialize(new AssignedFrame(id, new AgentFrame(e.Assigned.AgentId, e.Assigned.AgentName),
                    NullIfEmpty(e.Assigned.SkillGroup), null));
                registry.Broadcast(tenant, id, assigned);
                if (registry.HasUser(tenant, e.Assigned.AgentId)) _ = HandOverAsync(tenant, id, e.Assigned.AgentId, assigned);
                break;
            }
            case ConversationEvent.KindOneofCase.Queued:
                registry.Broadcast(tenant, id, Frames.Serialize(new StateFrame(id, state, null)));
                registry.Broadcast(tenant, id, Frames.Serialize(new QueueFrame(id, e.Queued.Position)));
                if (registry.ForConversation(tenant, id).Any()) queue.Watch(tenant, id, e.Queued.Position);
                break;
            case ConversationEvent.KindOneofCase.Transferred:
                registry.Broadcast(tenant, id, Frames.Serialize(new StateFrame(id, state, e.Transferred.Reason)));
                foreach (var connection in registry.ForUser(tenant, e.Transferred.FromAgentId).ToArray())
                    registry.Leave(connection, ConnectionRegistry.ConversationKey(tenant, id));
                break;
            case ConversationEvent.KindOneofCase.Ended:
                queue.Forget(tenant, id);
                registry.Broadcast(tenant, id, Frames.Serialize(new StateFrame(id, state, NullIfEmpty(e.Ended.Reason))));
                registry.LeaveAll(tenant, id);
                break;
            case ConversationEvent.KindOneofCase.Handoff:
                registry.Broadcast(tenant, id, Frames.Serialize(new StateFrame(id, state, "handoff:" + e.Handoff.Reason)));
                break;
            default:
                registry.Broadcast(tenant, id, Frames.Serialize(new StateFrame(id, state, null)));
                break;
        }
    }

    /// <summary>
    /// The agent's side of an assignment (or transfer): the conversation with its history and the customer context.
    /// The context is still loading when an idle agent is assigned at once, so this waits for it a little (off the
    /// event loop, which goes on delivering). Then the agent's sockets join the conversation's live delivery and only
    /// after that read its snapshot, which waits for every message numbered before it (see
    /// <see cref="ConversationHistory.SnapshotAsync"/>): a message sent meanwhile is in the snapshot or arrives live.
    /// A conversation that ended or moved on in the meantime is left alone.
    /// </summary>
    private async Task HandOverAsync(string tenant, string id, string agentId, byte[] assigned)
    {
        try
        {
            var wait = options.Value.ContextWaitAtAssignment;
            if (wait > TimeSpan.Zero) await context.WaitUntilLoadedAsync(tenant, id, wait, CancellationToken.None);
            if (await store.GetAsync(tenant, id) is not { } conversation || !IsWith(conversation.AgentId, conversation.State, agentId)) return;
            await probe.BeforeJoinAsync(tenant, id, agentId);
            registry.JoinUser(tenant, agentId, id);
            var snapshot = await history.SnapshotAsync(tenant, id, afterSeq: 0, CancellationToken.None);
            if (snapshot is null || !IsWith(snapshot.Agent?.Id, snapshot.State, agentId))
            {
                registry.LeaveUser(tenant, agentId, id); // transferred or ended between the two reads
                return;
            }
            registry.SendToUser(tenant, agentId, Frames.Serialize(snapshot with { Context = await context.GetAsync(tenant, id, atAssignment: true) }));
            registry.SendToUser(tenant, agentId, assigned);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogDeliveryFailed(e, $"assignment of {tenant}/{id} to {agentId}");
        }
    }

    private static bool IsWith(string? conversationAgent, string state, string agentId) =>
        conversationAgent == agentId && ConversationStates.IsOpen(state);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    [LoggerMessage(Level = LogLevel.Warning, Message = "waiting for NATS JetStream: {Reason}")]
    private partial void LogWaitingForNats(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "delivery of {Subject} failed")]
    private partial void LogDeliveryFailed(Exception e, string subject);
}
