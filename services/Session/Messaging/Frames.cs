using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.Session.Protocol;

namespace CustomerService.Session.Messaging;

/// <summary>Turns contracts into the JSON frames of docs/protocol.md, serialized once per message per replica.</summary>
public static class Frames
{
    public static SenderFrame Sender(Participant p) => new(KindName(p.Kind), p.Id, string.IsNullOrEmpty(p.DisplayName) ? null : p.DisplayName);

    public static string KindName(ParticipantKind kind) => kind switch
    {
        ParticipantKind.Customer => "customer",
        ParticipantKind.Agent => "agent",
        ParticipantKind.Bot => "bot",
        ParticipantKind.System => "system",
        _ => "unknown",
    };

    public static MessageFrame Message(ChatMessage m) => new(
        m.ConversationId, m.Seq, m.MessageId, Sender(m.Sender), m.Text, m.SentAtUnixMs,
        m.QuickReplies.Count == 0 ? null : m.QuickReplies.Select(q => new QuickReplyFrame(q.Title, q.Payload)).ToArray(),
        m.Metadata.Count == 0 ? null : m.Metadata);

    public static byte[] Serialize(MessageFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.MessageFrame);
    public static byte[] Serialize(AckFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.AckFrame);
    public static byte[] Serialize(TypingFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.TypingFrame);
    public static byte[] Serialize(ReadFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.ReadFrame);
    public static byte[] Serialize(StateFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.StateFrame);
    public static byte[] Serialize(QueueFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.QueueFrame);
    public static byte[] Serialize(AssignedFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.AssignedFrame);
    public static byte[] Serialize(ConversationFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.ConversationFrame);
    public static byte[] Serialize(WelcomeFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.WelcomeFrame);
    public static byte[] Serialize(ContextFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.ContextFrame);
    public static byte[] Serialize(TicketFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.TicketFrame);
    public static byte[] Serialize(ErrorFrame f) => JsonSerializer.SerializeToUtf8Bytes(f, FrameJson.Default.ErrorFrame);

    public static readonly byte[] Pong = JsonSerializer.SerializeToUtf8Bytes(new PongFrame(), FrameJson.Default.PongFrame);

    public static byte[] Error(string code, string message, string? clientId = null) => Serialize(new ErrorFrame(code, message, clientId));

    public static byte[] RateLimited(TimeSpan retryAfter, string? clientId, string why = "too many frames from this socket")
    {
        int ms = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalMilliseconds));
        return Serialize(new ErrorFrame("rate_limited", $"{why}; send it again in {ms} ms", clientId, ms));
    }
}
