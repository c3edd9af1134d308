using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Session.Tickets;

/// <summary>
/// Brings the order system's answers back into the conversations. Every replica reads cs.ticket.*.result through
/// one durable consumer ("session-ticket-results"), so each result is handled by one replica, and again after a
/// crash before its ack. A created work order becomes a system message (numbered, delivered to customer and
/// agents, archived like every message) whose client id is "ticket-{ticket_request_id}", so a repeated result
/// posts nothing twice. Agents also get a "ticket" frame with the status; a rejection reaches only them.
/// </summary>
public sealed partial class TicketResultListener(
    INatsJSContext jetStream,
    IServiceScopeFactory scopes,
    TicketDesk desk,
    ChatBus bus,
    TimeProvider time,
    ILogger<TicketResultListener> logger)
    : DurableConsumer<TicketResult>(jetStream, Settings, time, logger)
{
    public const string ConsumerName = "session-ticket-results";
    public const string SystemSenderId = "tickets";

    private static readonly DurableConsumerSettings Settings = new(
        "ticket result", Subjects.TicketStreamName, TicketStream.EnsureAsync,
        new ConsumerConfig(ConsumerName)
        {
            FilterSubject = Subjects.AllTicketResults,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(30),
            MaxDeliver = -1,
            // Created once: results from before Session ever ran are not replayed into old conversations.
            DeliverPolicy = ConsumerConfigDeliverPolicy.New,
        })
    {
        BatchSize = 16,
        // Redis or NATS down: JetStream gives it again; the client id keeps the message single.
        RedeliveryDelay = TimeSpan.FromSeconds(2),
    };

    protected override TicketResult Read(INatsJSMsg<byte[]> message)
    {
        var result = TicketResult.Parser.ParseFrom(message.Data ?? []);
        if (result.TicketRequestId.Length == 0 || result.TenantId.Length == 0 || result.ConversationId.Length == 0)
            throw new PoisonMessageException("ticket_request_id, tenant_id and conversation_id are required");
        return result;
    }

    protected override string Describe(TicketResult result, INatsJSMsg<byte[]> message) => $"Ticket result {result.TicketRequestId}";

    protected override Task HandleAsync(TicketResult result, CancellationToken ct) => ApplyAsync(result, ct);

    /// <summary>Posts the result into its conversation and tells the agents. Safe to repeat.</summary>
    public async Task ApplyAsync(TicketResult result, CancellationToken ct)
    {
        string tenant = result.TenantId, conversationId = result.ConversationId;
        var pending = await desk.GetPendingAsync(tenant, result.TicketRequestId);
        TicketFrame frame;
        if (result.Created)
        {
            var text = pending is null
                ? $"Work order {result.WorkOrderNumber} has been created."
                : $"Work order {result.WorkOrderNumber} has been created: {pending.Title}";
            var system = new Identity(tenant, SystemSenderId, "service", "Tickets", []);
            using var scope = scopes.CreateScope();
            var conversations = scope.ServiceProvider.GetRequiredService<ConversationService>();
            var posted = await conversations.PostAsync(system, ParticipantKind.System, conversationId, MessageClientId(result.TicketRequestId),
                text, quickReplies: null, ct, Metadata(result));
            if (posted.Message is null) LogNotPosted(result.TicketRequestId, tenant, conversationId, posted.Error!);
            else LogPosted(result.TicketRequestId, tenant, conversationId, result.WorkOrderNumber, posted.Message.Seq, posted.Duplicate);
            frame = new TicketFrame(conversationId, result.TicketRequestId, "created", pending?.ClientId, pending?.Title,
                WorkOrderNumber: result.WorkOrderNumber, Seq: posted.Message?.Seq);
        }
        else
        {
            var reason = result.Reason.Length == 0 ? "rejected by the order system" : result.Reason;
            LogRejected(result.TicketRequestId, tenant, conversationId, reason);
            frame = new TicketFrame(conversationId, result.TicketRequestId, "rejected", pending?.ClientId, pending?.Title, Reason: reason);
        }
        await bus.PublishAgentSignalAsync(tenant, conversationId, Messaging.Frames.Serialize(frame), ct);
    }

    public static string MessageClientId(string ticketRequestId) => $"ticket-{ticketRequestId}";

    private static Dictionary<string, string> Metadata(TicketResult result) => new()
    {
        ["ticket.requestId"] = result.TicketRequestId,
        ["ticket.status"] = "created",
        ["ticket.workOrderNumber"] = result.WorkOrderNumber,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId}: work order {Number} posted to {Tenant}/{Conversation} as seq {Seq} (duplicate: {Duplicate})")]
    private partial void LogPosted(string ticketRequestId, string tenant, string conversation, string number, long seq, bool duplicate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketRequestId}: work order not posted to {Tenant}/{Conversation}: {Reason}")]
    private partial void LogNotPosted(string ticketRequestId, string tenant, string conversation, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketRequestId} of {Tenant}/{Conversation} rejected: {Reason}")]
    private partial void LogRejected(string ticketRequestId, string tenant, string conversation, string reason);
}
