using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// The JetStream stream of tickets: every TicketRequested (cs.ticket.{tenant}.requested) and TicketResult
/// (cs.ticket.{tenant}.result). Requests are kept while the adapter or RabbitMQ is down, so none is lost;
/// a request re-published with the same Nats-Msg-Id (its ticket_request_id) within the window is stored once.
/// </summary>
public static class TicketStream
{
    public const string Name = "TICKETS";
    public const string AllSubjects = "cs.ticket.>";
    public const string Requests = "cs.ticket.*.requested";
    public static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(10);

    /// <summary>Idempotent: creates the stream or brings its configuration to this one.</summary>
    public static async Task EnsureAsync(INatsJSContext js, CancellationToken cancellationToken)
    {
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Name, [AllSubjects])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = TimeSpan.FromDays(30),
        }, cancellationToken);
    }

    public static string ResultMessageId(string ticketRequestId) => $"{ticketRequestId}:result";
}
