using CustomerService.Contracts;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace CustomerService.Session.Messaging;

/// <summary>
/// Publishes to NATS. Messages and conversation events go to JetStream and are durable (and de-duplicated by id)
/// before the publish returns; every Session replica also receives them on the same subjects for delivery.
/// Typing and read signals are ephemeral and go over core NATS only.
/// </summary>
public sealed class ChatBus(INatsConnection nats, INatsJSContext jetStream, TimeProvider time)
{
    public async Task PublishMessageAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var ack = await jetStream.PublishAsync(Subjects.Message(message.TenantId, message.ConversationId), message.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = $"{message.ConversationId}:{message.MessageId}" }, cancellationToken: cancellationToken);
        // A resend within the window is acknowledged as a duplicate (EnsureSuccess would throw): stored once, as meant.
        if (!ack.Duplicate) ack.EnsureSuccess();
    }

    public async Task PublishEventAsync(ConversationEvent conversationEvent, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(conversationEvent.EventId)) conversationEvent.EventId = Guid.CreateVersion7().ToString("N");
        if (conversationEvent.OccurredAtUnixMs == 0) conversationEvent.OccurredAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var kind = KindOf(conversationEvent);
        var ack = await jetStream.PublishAsync(
            Subjects.ConversationEvent(conversationEvent.TenantId, conversationEvent.ConversationId, kind), conversationEvent.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = conversationEvent.EventId }, cancellationToken: cancellationToken);
        if (!ack.Duplicate) ack.EnsureSuccess();
    }

    /// <summary>An already-serialized frame for every participant of a conversation, on every replica.</summary>
    public ValueTask PublishSignalAsync(string tenant, string conversation, byte[] frame, CancellationToken cancellationToken) =>
        nats.PublishAsync(Subjects.Delivery(tenant, conversation), frame, cancellationToken: cancellationToken);

    /// <summary>A frame for the agents (not the customer) of a conversation, on every replica.</summary>
    public ValueTask PublishAgentSignalAsync(string tenant, string conversation, byte[] frame, CancellationToken cancellationToken) =>
        nats.PublishAsync(Subjects.AgentDelivery(tenant, conversation), frame, cancellationToken: cancellationToken);

    public ValueTask PublishToBotAsync(BotInboxMessage message, CancellationToken cancellationToken) =>
        nats.PublishAsync(Subjects.BotInbox(message.Message.TenantId), message.ToByteArray(), cancellationToken: cancellationToken);

    public ValueTask PublishRiskAsync(RiskEvent risk, CancellationToken cancellationToken) =>
        nats.PublishAsync(Subjects.SensitiveWordHit(risk.TenantId), risk.ToByteArray(), cancellationToken: cancellationToken);

    /// <summary>The subject suffix of an event: the name of the oneof case, as documented in docs/events.md.</summary>
    public static string KindOf(ConversationEvent e) => e.KindCase switch
    {
        ConversationEvent.KindOneofCase.Started => "started",
        ConversationEvent.KindOneofCase.Queued => "queued",
        ConversationEvent.KindOneofCase.Assigned => "assigned",
        ConversationEvent.KindOneofCase.Activated => "activated",
        ConversationEvent.KindOneofCase.Transferred => "transferred",
        ConversationEvent.KindOneofCase.Ended => "ended",
        ConversationEvent.KindOneofCase.Handoff => "handoff",
        _ => "state",
    };
}
