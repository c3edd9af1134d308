using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;
using Google.Protobuf;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using StackExchange.Redis;

namespace CustomerService.Session.Tickets;

/// <summary>A ticket as the agent asked for it, checked (see <see cref="TicketDesk.Validate"/>).</summary>
public sealed record TicketInput(string ConversationId, string Title, string? Description, string? OrderId, string Priority, string? ClientId)
{
    /// <summary>The text the order system reads: the title, then the rest on lines of their own.</summary>
    public string Summary()
    {
        var summary = new StringBuilder(Title);
        if (Description is not null) summary.Append('\n').Append(Description);
        if (OrderId is not null) summary.Append("\nOrder: ").Append(OrderId);
        if (Priority != TicketDesk.DefaultPriority) summary.Append("\nPriority: ").Append(Priority);
        return summary.ToString();
    }
}

/// <summary>
/// Agents raise tickets (客服转工单): the "ticket" frame is checked, recorded, and published as a TicketRequested
/// to the TICKETS stream with Nats-Msg-Id = ticket_request_id, awaiting JetStream's ack, so a request is stored even
/// while the order-system adapter or RabbitMQ is down (docs/tickets.md). The request id comes from the frame's
/// clientId when there is one, so a resend after a lost answer is the same ticket.
/// </summary>
public sealed partial class TicketDesk(
    ConversationStore store,
    INatsJSContext jetStream,
    IConnectionMultiplexer redis,
    TimeProvider time,
    ILogger<TicketDesk> logger)
{
    public const int MaxTitleLength = 200;
    public const int MaxDescriptionLength = 4000;
    public const string DefaultPriority = "normal";
    public static readonly string[] Priorities = ["low", "normal", "high", "urgent"];
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long Session remembers a ticket's title and requester while it waits for the order system.</summary>
    public static readonly TimeSpan PendingKept = TimeSpan.FromDays(30);

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z")]
    private static partial Regex IdFormat();

    [GeneratedRegex(@"^[A-Za-z0-9_\-./:#]{1,64}\z")]
    private static partial Regex OrderIdFormat();

    /// <summary>Checks a ticket frame's fields; the error is the message of an "invalid" error frame.</summary>
    public static (TicketInput? Input, string? Error) Validate(ClientFrame frame)
    {
        if (frame.ConversationId is null || !IdFormat().IsMatch(frame.ConversationId))
            return (null, "a ticket needs the conversationId of one of your conversations");
        if (frame.ClientId is not null && !IdFormat().IsMatch(frame.ClientId))
            return (null, "clientId must be 1-64 letters, digits, '-' or '_'");
        // The console's older "summary" field is read as the title.
        var title = (frame.Title ?? frame.Summary)?.Trim();
        if (string.IsNullOrEmpty(title)) return (null, "a ticket needs a title");
        if (title.Length > MaxTitleLength) return (null, $"the title is limited to {MaxTitleLength} characters");
        if (title.Any(c => char.IsControl(c))) return (null, "the title must be one line of text");
        var description = string.IsNullOrWhiteSpace(frame.Description) ? null : frame.Description.Trim();
        if (description is { Length: > MaxDescriptionLength })
            return (null, $"the description is limited to {MaxDescriptionLength} characters");
        var orderId = string.IsNullOrWhiteSpace(frame.OrderId) ? null : frame.OrderId.Trim();
        if (orderId is not null && !OrderIdFormat().IsMatch(orderId))
            return (null, "orderId must be 1-64 letters, digits or - _ . / : #");
        var priority = string.IsNullOrWhiteSpace(frame.Priority) ? DefaultPriority : frame.Priority.Trim().ToLowerInvariant();
        if (!Priorities.Contains(priority)) return (null, "priority must be low, normal, high or urgent");
        return (new TicketInput(frame.ConversationId, title, description, orderId, priority, frame.ClientId), null);
    }

    /// <summary>The request id: derived from the clientId (same clientId, same ticket), or new.</summary>
    public static string RequestId(string tenant, string conversationId, string? clientId)
    {
        if (clientId is null) return Guid.CreateVersion7().ToString("N");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"ticket\n{tenant}\n{conversationId}\n{clientId}"));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>Raises the ticket: the answer frame to send (a ticket frame "requested", or an error).</summary>
    public async Task<byte[]> RequestAsync(Identity agent, ClientFrame frame, CancellationToken ct)
    {
        if (agent.IsCustomer) return Messaging.Frames.Error("forbidden", "tickets are raised by agents", frame.ClientId);
        var (input, error) = Validate(frame);
        if (input is null) return Messaging.Frames.Error("invalid", error!, frame.ClientId);

        var conversation = await store.GetAsync(agent.Tenant, input.ConversationId);
        if (conversation is null) return Messaging.Frames.Error("not_found", "no such conversation", frame.ClientId);
        if (conversation.AgentId != agent.UserId && !agent.IsSupervisor)
            return Messaging.Frames.Error("forbidden", "not your conversation", frame.ClientId);
        if (!ConversationStates.IsOpen(conversation.State))
            return Messaging.Frames.Error("conversation_ended", "the conversation has ended", frame.ClientId);

        var request = new TicketRequested
        {
            TicketRequestId = RequestId(agent.Tenant, conversation.Id, input.ClientId),
            TenantId = agent.Tenant,
            ConversationId = conversation.Id,
            CustomerId = conversation.VisitorId,
            AgentId = agent.UserId,
            Summary = input.Summary(),
            Title = input.Title,
            Description = input.Description ?? "",
            OrderId = input.OrderId ?? "",
            Priority = input.Priority,
            RequestedAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        // Remembered before it is published, so the result (which names only the ids) can be told with its title.
        await redis.GetDatabase().StringSetAsync(PendingKey(agent.Tenant, request.TicketRequestId),
            JsonSerializer.SerializeToUtf8Bytes(new PendingTicket(input.Title, agent.UserId, input.ClientId, request.RequestedAtUnixMs),
                FrameJson.Default.PendingTicket),
            PendingKept);

        PubAckResponse ack;
        try
        {
            ack = await PublishAsync(request, ct);
        }
        catch (Exception e) when (e is NATS.Client.Core.NatsException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogPublishFailed(agent.Tenant, conversation.Id, request.TicketRequestId, e.Message);
            return Messaging.Frames.Error("ticket_failed", "tickets cannot be raised right now; try again (with the same clientId)", frame.ClientId);
        }
        LogRequested(agent.Tenant, conversation.Id, request.TicketRequestId, agent.UserId, ack.Duplicate);
        return Messaging.Frames.Serialize(new TicketFrame(conversation.Id, request.TicketRequestId, "requested", input.ClientId, input.Title,
            Duplicate: ack.Duplicate));
    }

    private async Task<PubAckResponse> PublishAsync(TicketRequested request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PublishTimeout);
        var subject = Subjects.TicketRequested(request.TenantId);
        var opts = new NatsJSPubOpts { MsgId = request.TicketRequestId };
        PubAckResponse ack;
        try
        {
            ack = await jetStream.PublishAsync(subject, request.ToByteArray(), opts: opts, cancellationToken: timeout.Token);
        }
        catch (NatsJSPublishNoResponseException)
        {
            // No stream yet (the adapter has not started since JetStream was wiped): create it as the adapter does.
            await TicketStream.EnsureAsync(jetStream, timeout.Token);
            ack = await jetStream.PublishAsync(subject, request.ToByteArray(), opts: opts, cancellationToken: timeout.Token);
        }
        // A request published again with the same id is acknowledged as a duplicate: stored once, which is the point.
        if (!ack.Duplicate) ack.EnsureSuccess();
        return ack;
    }

    public static RedisKey PendingKey(string tenant, string ticketRequestId) => $"cs:{tenant}:ticket:{ticketRequestId}";

    public async Task<PendingTicket?> GetPendingAsync(string tenant, string ticketRequestId)
    {
        var value = await redis.GetDatabase().StringGetAsync(PendingKey(tenant, ticketRequestId));
        return value.HasValue ? JsonSerializer.Deserialize((byte[])value!, FrameJson.Default.PendingTicket) : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ticket {TicketRequestId} requested for {Tenant}/{Conversation} by {Agent} (duplicate: {Duplicate})")]
    private partial void LogRequested(string tenant, string conversation, string ticketRequestId, string agent, bool duplicate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ticket {TicketRequestId} for {Tenant}/{Conversation} not published: {Reason}")]
    private partial void LogPublishFailed(string tenant, string conversation, string ticketRequestId, string reason);
}

/// <summary>The TICKETS stream, configured exactly as the Orders adapter configures it (docs/tickets.md).</summary>
public static class TicketStream
{
    public static Task EnsureAsync(INatsJSContext js, CancellationToken ct) =>
        js.CreateOrUpdateStreamAsync(new StreamConfig(Subjects.TicketStreamName, [Subjects.AllTickets])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = TimeSpan.FromMinutes(10),
            MaxAge = TimeSpan.FromDays(30),
        }, ct).AsTask();
}
