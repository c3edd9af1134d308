using CustomerService.Contracts;
using Microsoft.Extensions.Options;
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
    ILogger<TicketRequestListener> logger)
    : DurableConsumer<TicketRequested>(js, Settings(options.Value), time, logger)
{
    private static DurableConsumerSettings Settings(TicketOptions options) => new(
        "ticket request", TicketStream.Name, TicketStream.EnsureAsync,
        new ConsumerConfig(options.ConsumerName)
        {
            FilterSubject = TicketStream.Requests,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(30),
            MaxDeliver = -1,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        })
    {
        // One at a time: a request that cannot be handed over holds back the ones after it, in order.
        BatchSize = 1,
        MaxPause = options.MaxRetryDelay,
    };

    protected override TicketRequested Read(INatsJSMsg<byte[]> message)
    {
        var request = TicketRequested.Parser.ParseFrom(message.Data ?? []);
        // The subject names the tenant too: a request that omits it in the payload takes it from there.
        if (string.IsNullOrEmpty(request.TenantId) && message.Subject.Split('.') is [_, _, var tenant, _]) request.TenantId = tenant;
        if (string.IsNullOrWhiteSpace(request.TicketRequestId) || string.IsNullOrWhiteSpace(request.TenantId)
            || string.IsNullOrWhiteSpace(request.ConversationId))
            throw new PoisonMessageException($"ticket request '{request.TicketRequestId}': ticket_request_id, tenant_id and conversation_id are required");
        return request;
    }

    protected override string Describe(TicketRequested request, INatsJSMsg<byte[]> message) => $"Ticket request {request.TicketRequestId}";

    protected override async Task HandleAsync(TicketRequested request, CancellationToken cancellationToken)
    {
        var ticket = await store.RecordRequestAsync(request, cancellationToken);
        // Resolved: its result is published by whoever resolved it (or by the sweeper); sent: the answer will
        // come on the results queue. Either way there is nothing more to do for a repeated request.
        if (ticket.IsResolved || ticket.SentAt is not null) return;
        await sender.SendAsync(request, cancellationToken);
        await store.MarkSentAsync(request.TicketRequestId, cancellationToken);
        LogHandedOver(request.TicketRequestId, request.TenantId, request.ConversationId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId} of {TenantId}/{ConversationId} handed to the order system")]
    private partial void LogHandedOver(string ticketRequestId, string tenantId, string conversationId);
}
