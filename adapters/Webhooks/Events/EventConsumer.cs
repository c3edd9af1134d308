using CustomerService.Contracts;
using CustomerService.Webhooks.Delivery;
using CustomerService.Webhooks.Registrations;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Webhooks.Events;

/// <summary>
/// A durable JetStream consumer of one of the chat streams (CONVERSATION_EVENTS or CHAT_MESSAGES), shared by every
/// replica. Each message becomes its webhook events (<see cref="WebhookPayloads"/>), each event one delivery per
/// matching webhook of its tenant, stored in webhookdb; only then is the message acknowledged. A message that cannot
/// be stored (PostgreSQL down) is tried again, holding back the ones after it: nothing is lost, and a message
/// JetStream delivers again finds its deliveries stored and makes no new ones. The consumer starts at new messages
/// when it is first created (a fresh install does not send the streams' seven days of history).
/// </summary>
public sealed class EventConsumer(
    string stream,
    INatsJSContext js,
    SubscriptionCache subscriptions,
    DeliveryStore deliveries,
    DispatchSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<EventConsumer> logger)
    : DurableConsumer<IReadOnlyList<WebhookEvent>>(js, Settings(stream, options.Value), time, logger)
{
    private static DurableConsumerSettings Settings(string stream, WebhookOptions options) => new(
        "webhook source message", stream, ChatStreams.EnsureAsync,
        new ConsumerConfig(options.ConsumerName)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(30),
            MaxDeliver = -1,
            MaxAckPending = 1000,
            DeliverPolicy = ConsumerConfigDeliverPolicy.New,
        })
    {
        BatchSize = 100,
    };

    protected override IReadOnlyList<WebhookEvent> Read(INatsJSMsg<byte[]> message) =>
        ToWebhookEvents(stream, message.Subject, message.Data ?? [], message.Metadata?.Sequence.Stream ?? 0);

    protected override string Describe(IReadOnlyList<WebhookEvent> events, INatsJSMsg<byte[]> message) => $"Deliveries for {message.Subject}";

    protected override async Task HandleAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var rows = new List<(WebhookEvent, Subscription)>();
                foreach (var e in events)
                    foreach (var webhook in await subscriptions.MatchingAsync(e.TenantId, e.Name, cancellationToken))
                        rows.Add((e, webhook));
                if (await deliveries.CreateAsync(rows, cancellationToken) > 0) signal.Wake();
                return;
            }
            catch (WebhookGoneException)
            {
                subscriptions.Invalidate(); // read the registrations again and store the rest
            }
        }
    }

    /// <summary>
    /// The webhook events of one stream message, for the tenant its subject names. The subject is what the platform
    /// routes and permits by; a payload naming another tenant is no event of either (none is sent: a publisher that
    /// could write to one tenant's subject must not reach another tenant's webhooks by writing its name inside).
    /// </summary>
    public static IReadOnlyList<WebhookEvent> ToWebhookEvents(string stream, string subject, byte[] data, ulong streamSequence)
    {
        var tenant = SubjectTokens.Tenant(subject);
        if (tenant.Length == 0) return [];
        static bool Agrees(string payloadTenant, string tenant) => payloadTenant.Length == 0 || payloadTenant == tenant;
        if (stream == ChatStreams.Messages)
        {
            var chat = ChatMessage.Parser.ParseFrom(data);
            return Agrees(chat.TenantId, tenant) ? [WebhookPayloads.From(chat, tenant)] : [];
        }
        var conversationEvent = ConversationEvent.Parser.ParseFrom(data);
        return Agrees(conversationEvent.TenantId, tenant) ? WebhookPayloads.From(conversationEvent, tenant, $"{stream}:{streamSequence}") : [];
    }
}
