using CustomerService.Contracts;
using CustomerService.Webhooks.Delivery;
using CustomerService.Webhooks.Registrations;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
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
public sealed partial class EventConsumer(
    string stream,
    INatsJSContext js,
    SubscriptionCache subscriptions,
    DeliveryStore deliveries,
    DispatchSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<EventConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ChatStreams.EnsureAsync(js, stoppingToken);
                var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig(options.Value.ConsumerName)
                {
                    AckPolicy = ConsumerConfigAckPolicy.Explicit,
                    AckWait = AckWait,
                    MaxDeliver = -1,
                    MaxAckPending = 1000,
                    DeliverPolicy = ConsumerConfigDeliverPolicy.New,
                }, stoppingToken);
                LogListening(stream, options.Value.ConsumerName);
                pause = TimeSpan.FromMilliseconds(200);
                await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default,
                                   new NatsJSConsumeOpts { MaxMsgs = 100 }, stoppingToken))
                {
                    await HandleAsync(message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogConsumerFailed(e, stream, pause.TotalMilliseconds);
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task HandleAsync(INatsJSMsg<byte[]> message, CancellationToken stoppingToken)
    {
        IReadOnlyList<WebhookEvent> events;
        try
        {
            events = ToWebhookEvents(stream, message.Subject, message.Data ?? [], message.Metadata?.Sequence.Stream ?? 0);
        }
        catch (InvalidProtocolBufferException e)
        {
            LogUnreadable(message.Subject, e.Message);
            await message.AckTerminateAsync(cancellationToken: stoppingToken);
            return;
        }

        var pause = TimeSpan.FromMilliseconds(100);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var rows = new List<(WebhookEvent, Subscription)>();
                foreach (var e in events)
                    foreach (var webhook in await subscriptions.MatchingAsync(e.TenantId, e.Name, stoppingToken))
                        rows.Add((e, webhook));
                if (await deliveries.CreateAsync(rows, stoppingToken) > 0) signal.Wake();
                await message.AckAsync(cancellationToken: stoppingToken);
                return;
            }
            catch (WebhookGoneException)
            {
                subscriptions.Invalidate(); // read the registrations again and store the rest
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (attempt == 1 || attempt % 10 == 0) LogWaitingToStore(message.Subject, attempt, e.GetType().Name, e.Message);
                try { await message.AckProgressAsync(cancellationToken: stoppingToken); }
                catch (Exception progress) when (progress is not OperationCanceledException) { }
                await Task.Delay(pause, time, stoppingToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>The webhook events of one stream message; the tenant comes from the payload, else from the subject.</summary>
    public static IReadOnlyList<WebhookEvent> ToWebhookEvents(string stream, string subject, byte[] data, ulong streamSequence)
    {
        // cs.msg.{tenant}.{conversation} and cs.conv.{tenant}.{conversation}.{kind}
        var subjectTenant = subject.Split('.') is [_, _, var t, ..] ? t : "";
        if (stream == ChatStreams.Messages)
        {
            var chat = ChatMessage.Parser.ParseFrom(data);
            var tenant = string.IsNullOrEmpty(chat.TenantId) ? subjectTenant : chat.TenantId;
            return tenant.Length == 0 ? [] : [WebhookPayloads.From(chat, tenant)];
        }
        var conversationEvent = ConversationEvent.Parser.ParseFrom(data);
        var eventTenant = string.IsNullOrEmpty(conversationEvent.TenantId) ? subjectTenant : conversationEvent.TenantId;
        return eventTenant.Length == 0 ? [] : WebhookPayloads.From(conversationEvent, eventTenant, $"{stream}:{streamSequence}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhooks listening on stream {Stream} as {Consumer}")]
    private partial void LogListening(string stream, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook consumer of {Stream} failed; starting again in {PauseMs} ms")]
    private partial void LogConsumerFailed(Exception exception, string stream, double pauseMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped an unreadable message on {Subject}: {Reason}")]
    private partial void LogUnreadable(string subject, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deliveries for {Subject} wait to be stored (try {Attempt}): {Error}: {Reason}")]
    private partial void LogWaitingToStore(string subject, int attempt, string error, string reason);
}
