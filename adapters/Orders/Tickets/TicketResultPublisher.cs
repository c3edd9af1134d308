using System.Collections.Concurrent;
using CustomerService.Contracts;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// Puts a resolved ticket's <see cref="TicketResult"/> on cs.ticket.{tenant}.result (JetStream, de-duplicated by
/// "{ticket_request_id}:result") and records that it did, so each result is published once in the normal course
/// and again only after a crash between the two steps. While NATS is disconnected, or when it does not acknowledge
/// in time, the publish fails (the sweeper tries again); one ticket is never published by two callers of this
/// process at once.
/// </summary>
public sealed partial class TicketResultPublisher(INatsConnection nats, INatsJSContext js, TicketStore store, ILogger<TicketResultPublisher> logger)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, bool> _publishing = new();

    public async Task PublishAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        // The client would hold a publish until it reconnects, whatever the token says: fail at once instead and
        // leave the result to the sweeper, which publishes it when NATS is back.
        if (nats.ConnectionState != NatsConnectionState.Open)
            throw new InvalidOperationException($"NATS is not connected ({nats.ConnectionState})");
        if (!_publishing.TryAdd(ticket.TicketRequestId, true)) return;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PublishTimeout);
            var ack = await js.PublishAsync(Subjects.TicketResult(ticket.TenantId), ticket.ToResult().ToByteArray(),
                opts: new NatsJSPubOpts { MsgId = TicketStream.ResultMessageId(ticket.TicketRequestId) },
                cancellationToken: timeout.Token);
            ack.EnsureSuccess();
            await store.MarkResultPublishedAsync(ticket.TicketRequestId, cancellationToken);
            LogPublished(ticket.TicketRequestId, ticket.TenantId, ticket.State, ticket.WorkOrderNumber ?? ticket.Reason);
        }
        finally
        {
            _publishing.TryRemove(ticket.TicketRequestId, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId} of {TenantId} {State}: {Detail}")]
    private partial void LogPublished(string ticketRequestId, string tenantId, TicketState state, string? detail);
}
