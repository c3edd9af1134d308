using CustomerService.Contracts;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Microsoft.Extensions.Options;

namespace CustomerService.Session.Messaging;

/// <summary>
/// Publishes to NATS. Messages and conversation events go to JetStream and are durable (and de-duplicated by id)
/// before the publish returns; every Session replica also receives them on the same subjects for delivery.
/// Typing and read signals are ephemeral and go over core NATS only.
/// </summary>
public sealed class ChatBus(INatsConnection nats, INatsJSContext jetStream, TimeProvider time, IOptions<SessionOptions> options)
{
    public Task PublishMessageAsync(ChatMessage message, CancellationToken cancellationToken) =>
        PublishDurableAsync(Subjects.Message(message.TenantId, message.ConversationId), message.ToByteArray(),
            $"{message.ConversationId}:{message.MessageId}", cancellationToken);

    public async Task PublishEventAsync(ConversationEvent conversationEvent, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(conversationEvent.EventId)) conversationEvent.EventId = Guid.CreateVersion7().ToString("N");
        if (conversationEvent.OccurredAtUnixMs == 0) conversationEvent.OccurredAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var kind = KindOf(conversationEvent);
        await PublishDurableAsync(Subjects.ConversationEvent(conversationEvent.TenantId, conversationEvent.ConversationId, kind),
            conversationEvent.ToByteArray(), conversationEvent.EventId, cancellationToken);
    }

    /// <summary>
    /// Stored by JetStream (de-duplicated by <paramref name="messageId"/>) before it returns, or a
    /// <see cref="TimeoutException"/> after <see cref="SessionOptions.DurablePublishTimeout"/>: a publish buffered while
    /// NATS is away may still land later, and the sender's resend with the same id then finds it stored.
    /// </summary>
    private async Task PublishDurableAsync(string subject, byte[] data, string messageId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.DurablePublishTimeout);
        PubAckResponse ack;
        try
        {
            ack = await jetStream.PublishAsync(subject, data, opts: new NatsJSPubOpts { MsgId = messageId }, cancellationToken: timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"JetStream did not store {subject} within {options.Value.DurablePublishTimeout.TotalSeconds:F0} s ({nats.ConnectionState})");
        }
        // A resend within the window is acknowledged as a duplicate (EnsureSuccess would throw): stored once, as meant.
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
