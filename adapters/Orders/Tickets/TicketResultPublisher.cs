using CustomerService.Contracts;
using Google.Protobuf;
using NATS.Client.JetStream;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// Puts a resolved ticket's <see cref="TicketResult"/> on cs.ticket.{tenant}.result (JetStream, de-duplicated by
/// "{ticket_request_id}:result") and records that it did, so each result is published once in the normal course
/// and again only after a crash between the two steps.
/// </summary>
public sealed partial class TicketResultPublisher(INatsJSContext js, TicketStore store, ILogger<TicketResultPublisher> logger)
{
    public async Task PublishAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        var ack = await js.PublishAsync(Subjects.TicketResult(ticket.TenantId), ticket.ToResult().ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = TicketStream.ResultMessageId(ticket.TicketRequestId) },
            cancellationToken: cancellationToken);
        ack.EnsureSuccess();
        await store.MarkResultPublishedAsync(ticket.TicketRequestId, cancellationToken);
        LogPublished(ticket.TicketRequestId, ticket.TenantId, ticket.State, ticket.WorkOrderNumber ?? ticket.Reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId} of {TenantId} {State}: {Detail}")]
    private partial void LogPublished(string ticketRequestId, string tenantId, TicketState state, string? detail);
}
