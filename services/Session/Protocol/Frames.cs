using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerService.Session.Protocol;

/// <summary>
/// A frame from a client (customer widget or agent console). One shape for every type keeps parsing to one
/// source-generated pass; which fields a type uses is documented in docs/protocol.md.
/// </summary>
public sealed class ClientFrame
{
    public string? Type { get; set; }
    public string? ConversationId { get; set; }
    public string? ClientId { get; set; }
    public string? Text { get; set; }
    public long? LastSeq { get; set; }
    public long? Seq { get; set; }
    public bool? On { get; set; }
    public string? Status { get; set; }
    public string? ToAgent { get; set; }
    public string? ToGroup { get; set; }
    public string? EntryPage { get; set; }
    public string? Language { get; set; }
    public string? Reason { get; set; }
    public string? Summary { get; set; }
    public string? Title { get; set; }
    public string? Description { get; set; }
    public string? OrderId { get; set; }
    public string? Priority { get; set; }
    /// <summary>hello: false when the client takes its own messages from their acks (docs/protocol.md, "Echo").</summary>
    public bool? Echo { get; set; }
}

public static class FrameTypes
{
    public const string Hello = "hello";
    public const string Resume = "resume";
    public const string Message = "message";
    public const string Typing = "typing";
    public const string Read = "read";
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string Presence = "presence";
    public const string Transfer = "transfer";
    public const string End = "end";
    public const string Ack = "ack";
    public const string Welcome = "welcome";
    public const string Assigned = "assigned";
    public const string State = "state";
    public const string Queue = "queue";
    public const string Error = "error";
    public const string Conversation = "conversation";
    public const string Context = "context";
    public const string Ticket = "ticket";
}

public sealed record SenderFrame(string Kind, string Id, string? Name);

public sealed record QuickReplyFrame(string Title, string Payload);

public sealed record MessageFrame(
    string ConversationId, long Seq, string ClientId, SenderFrame Sender, string Text, long SentAt,
    IReadOnlyList<QuickReplyFrame>? QuickReplies, IReadOnlyDictionary<string, string>? Metadata)
{
    public string Type => FrameTypes.Message;
}

public sealed record AckFrame(string ConversationId, string ClientId, long Seq, bool Duplicate)
{
    public string Type => FrameTypes.Ack;
}

public sealed record TypingFrame(string ConversationId, SenderFrame Sender, bool On)
{
    public string Type => FrameTypes.Typing;
}

public sealed record ReadFrame(string ConversationId, SenderFrame Sender, long Seq)
{
    public string Type => FrameTypes.Read;
}

public sealed record StateFrame(string ConversationId, string State, string? Reason)
{
    public string Type => FrameTypes.State;
}

public sealed record QueueFrame(string ConversationId, int Position)
{
    public string Type => FrameTypes.Queue;
}

public sealed record AgentFrame(string Id, string? Name);

public sealed record AssignedFrame(string ConversationId, AgentFrame Agent, string? SkillGroup, CustomerFrame? Customer)
{
    public string Type => FrameTypes.Assigned;
}

public sealed record CustomerFrame(string Id, string? Name);

/// <summary>What the legacy systems know of the customer, for agents only; each part says whether it is live, cached or unavailable.</summary>
public sealed record CustomerContextFrame(ProfileFrame? Profile, OrdersFrame? Orders);

public sealed record ProfileFrame(string Status, string? Reason, string? Name, string? Phone, string? Email, string? Tier,
    IReadOnlyDictionary<string, string>? Attributes);

public sealed record OrdersFrame(string Status, string? Reason, IReadOnlyList<OrderFrame> Orders);

public sealed record OrderFrame(string OrderId, string Status, long AmountCents, string Currency, long CreatedAt, IReadOnlyList<string> Items);

public sealed record ContextFrame(string ConversationId, CustomerContextFrame Context)
{
    public string Type => FrameTypes.Context;
}

/// <summary>A conversation as the hello answer lists it (the agent gets all of theirs, the customer the open one).</summary>
public sealed record ConversationFrame(
    string ConversationId, string State, long LastSeq, CustomerFrame Customer, AgentFrame? Agent, string? SkillGroup,
    IReadOnlyList<MessageFrame> Messages, CustomerContextFrame? Context = null)
{
    public string Type => FrameTypes.Conversation;
}

public sealed record WelcomeFrame(string Role, string UserId, string Tenant, string Replica, IReadOnlyList<ConversationFrame> Conversations)
{
    public string Type => FrameTypes.Welcome;
}

/// <param name="RetryAfterMs">For <c>rate_limited</c>: when the socket may send again.</param>
public sealed record ErrorFrame(string Code, string Message, string? ClientId, int? RetryAfterMs = null)
{
    public string Type => FrameTypes.Error;
}

/// <summary>
/// A ticket's status for agents: "requested" (stored durably, answer to the agent's ticket frame), then "created"
/// (with the work-order number and the seq of the system message that announced it) or "rejected" (with the reason).
/// </summary>
public sealed record TicketFrame(
    string ConversationId, string TicketRequestId, string Status, string? ClientId = null, string? Title = null,
    string? WorkOrderNumber = null, string? Reason = null, long? Seq = null, bool? Duplicate = null)
{
    public string Type => FrameTypes.Ticket;
}

public sealed record PongFrame
{
    public string Type => FrameTypes.Pong;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(MessageFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(TypingFrame))]
[JsonSerializable(typeof(ReadFrame))]
[JsonSerializable(typeof(StateFrame))]
[JsonSerializable(typeof(QueueFrame))]
[JsonSerializable(typeof(AssignedFrame))]
[JsonSerializable(typeof(ConversationFrame))]
[JsonSerializable(typeof(WelcomeFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(PongFrame))]
[JsonSerializable(typeof(ContextFrame))]
[JsonSerializable(typeof(TicketFrame))]
[JsonSerializable(typeof(PendingTicket))]
public sealed partial class FrameJson : JsonSerializerContext;

/// <summary>What Session keeps of a ticket until its result comes (Redis, private to Session).</summary>
public sealed record PendingTicket(string Title, string AgentId, string? ClientId, long RequestedAt);
