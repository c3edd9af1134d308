using CustomerService.Contracts;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// Reads ticket requests from the TICKETS stream with a durable consumer and hands each to the order system.
/// A request is acknowledged only when it is settled: recorded in ticketdb and confirmed by RabbitMQ (or resolved
/// already). While RabbitMQ or ticketdb is down the request waits here, tried again with growing pauses, and the
/// ones behind it wait in the stream: none is lost, and none is sent twice once recorded as sent.
/// Results are published by <see cref="WorkOrderResultConsumer"/> when an answer resolves a ticket, and by
/// <see cref="TicketResultSweeper"/> after a failure: never from here, so a repeated request cannot race them.
/// </summary>
public sealed partial class TicketRequestListener(
    INatsJSContext js,
    TicketStore store,
    WorkOrderSender sender,
    IOptions<TicketOptions> options,
    TimeProvider time,
    ILogger<TicketRequestListener> logger) : BackgroundService
{
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(30);
    private readonly TicketOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TicketStream.EnsureAsync(js, stoppingToken);
                var consumer = await js.CreateOrUpdateConsumerAsync(TicketStream.Name, new ConsumerConfig(_options.ConsumerName)
                {
                    FilterSubject = TicketStream.Requests,
                    AckPolicy = ConsumerConfigAckPolicy.Explicit,
                    AckWait = AckWait,
                    MaxDeliver = -1,
                    DeliverPolicy = ConsumerConfigDeliverPolicy.All,
                }, stoppingToken);
                LogListening(TicketStream.Name, _options.ConsumerName);
                pause = TimeSpan.FromMilliseconds(200);

                // One at a time: a request that cannot be handed over holds back the ones after it, in order.
                await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default,
                                   new NatsJSConsumeOpts { MaxMsgs = 1 }, stoppingToken))
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
                LogConsumerFailed(e, pause.TotalMilliseconds);
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task HandleAsync(INatsJSMsg<byte[]> message, CancellationToken stoppingToken)
    {
        TicketRequested request;
        try
        {
            request = TicketRequested.Parser.ParseFrom(message.Data ?? []);
        }
        catch (InvalidProtocolBufferException e)
        {
            LogUnreadable(message.Subject, e.Message);
            await message.AckTerminateAsync(cancellationToken: stoppingToken);
            return;
        }
        // The subject names the tenant too: a request that omits it in the payload takes it from there.
        if (string.IsNullOrEmpty(request.TenantId) && message.Subject.Split('.') is [_, _, var tenant, _]) request.TenantId = tenant;
        if (string.IsNullOrWhiteSpace(request.TicketRequestId) || string.IsNullOrWhiteSpace(request.TenantId)
            || string.IsNullOrWhiteSpace(request.ConversationId))
        {
            LogIncomplete(message.Subject, request.TicketRequestId);
            await message.AckTerminateAsync(cancellationToken: stoppingToken);
            return;
        }

        var pause = TimeSpan.FromMilliseconds(100);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await SettleAsync(request, stoppingToken);
                await message.AckAsync(cancellationToken: stoppingToken);
                if (attempt > 1) LogHandedOverAfterRetries(request.TicketRequestId, attempt);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Log the first failure and then every tenth, not a line per try while a dependency is down.
                if (attempt == 1 || attempt % 10 == 0) LogWaitingToHandOver(request.TicketRequestId, attempt, e.GetType().Name, e.Message);
                try { await message.AckProgressAsync(cancellationToken: stoppingToken); }
                catch (Exception progress) when (progress is not OperationCanceledException) { }
                await Task.Delay(pause, time, stoppingToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task SettleAsync(TicketRequested request, CancellationToken cancellationToken)
    {
        var ticket = await store.RecordRequestAsync(request, cancellationToken);
        // Resolved: its result is published by whoever resolved it (or by the sweeper); sent: the answer will
        // come on the results queue. Either way there is nothing more to do for a repeated request.
        if (ticket.IsResolved || ticket.SentAt is not null) return;
        await sender.SendAsync(request, cancellationToken);
        await store.MarkSentAsync(request.TicketRequestId, cancellationToken);
        LogHandedOver(request.TicketRequestId, request.TenantId, request.ConversationId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for ticket requests on stream {Stream} as {Consumer}")]
    private partial void LogListening(string stream, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket request consumer failed; starting again in {PauseMs} ms")]
    private partial void LogConsumerFailed(Exception exception, double pauseMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped an unreadable ticket request on {Subject}: {Reason}")]
    private partial void LogUnreadable(string subject, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped ticket request '{TicketRequestId}' on {Subject}: ticket_request_id, tenant_id and conversation_id are required")]
    private partial void LogIncomplete(string subject, string ticketRequestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId} of {TenantId}/{ConversationId} handed to the order system")]
    private partial void LogHandedOver(string ticketRequestId, string tenantId, string conversationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketRequestId} waits to be handed over (try {Attempt}): {Error}: {Reason}")]
    private partial void LogWaitingToHandOver(string ticketRequestId, int attempt, string error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId} handed over after {Attempts} tries")]
    private partial void LogHandedOverAfterRetries(string ticketRequestId, int attempts);
}
