using CustomerService.Contracts;
using CustomerService.HistoryWriter.Storage;
using Google.Protobuf;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>What differs between archiving one JetStream stream and another: the payload, its checks and its row.</summary>
internal interface IArchivedStream<T> where T : IMessage<T>
{
    string Stream { get; }
    string ConsumerSuffix { get; }
    MessageParser<T> Parser { get; }
    string Table(HistorySchema schema);
    string Columns { get; }
    string TenantOf(T record);

    /// <summary>Why the record cannot be archived, or null when it can.</summary>
    string? Reject(T record, string subject);

    void Write(RowBinaryWriter row, T record, ushort retentionDays, long archivedAtMs);
}

internal static class ArchivedStreamExtensions
{
    /// <summary>Decodes a payload as it came from the stream and checks it; null when it can be archived, else why not.</summary>
    public static string? Read<T>(this IArchivedStream<T> stream, ReadOnlySpan<byte> payload, string subject, out T? record) where T : class, IMessage<T>
    {
        try
        {
            record = stream.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            record = null;
            return "unparseable: " + ex.Message;
        }
        return stream.Reject(record, subject);
    }
}

/// <summary>The reasons a message is parked with, where they are not the stream's own checks.</summary>
internal static class ParkReasons
{
    public const string RejectedPrefix = "rejected by the store: ";

    public static string Rejected(Exception ex) => RejectedPrefix + ex.Message;
}

/// <summary>CHAT_MESSAGES into the messages table.</summary>
internal sealed class ArchivedMessages : IArchivedStream<ChatMessage>
{
    public string Stream => ChatStreams.Messages;
    public string ConsumerSuffix => "messages";
    public MessageParser<ChatMessage> Parser => ChatMessage.Parser;
    public string Table(HistorySchema schema) => schema.Messages;
    public string Columns => HistorySchema.MessageColumns;
    public string TenantOf(ChatMessage record) => record.TenantId;

    public string? Reject(ChatMessage m, string subject) =>
        m.TenantId.Length == 0 ? "no tenant_id"
        : m.ConversationId.Length == 0 ? "no conversation_id"
        : m.MessageId.Length == 0 ? "no message_id"
        : SubjectTokens.Mismatch(subject, m.TenantId, m.ConversationId);

    public void Write(RowBinaryWriter row, ChatMessage record, ushort retentionDays, long archivedAtMs) =>
        MessageRows.Write(row, record, retentionDays, archivedAtMs);
}

/// <summary>CONVERSATION_EVENTS into the conversation_events table.</summary>
internal sealed class ArchivedEvents : IArchivedStream<ConversationEvent>
{
    public string Stream => ChatStreams.Events;
    public string ConsumerSuffix => "events";
    public MessageParser<ConversationEvent> Parser => ConversationEvent.Parser;
    public string Table(HistorySchema schema) => schema.Events;
    public string Columns => HistorySchema.EventColumns;
    public string TenantOf(ConversationEvent record) => record.TenantId;

    public string? Reject(ConversationEvent e, string subject) =>
        e.TenantId.Length == 0 ? "no tenant_id"
        : e.ConversationId.Length == 0 ? "no conversation_id"
        : e.EventId.Length == 0 ? "no event_id"
        : e.KindCase == ConversationEvent.KindOneofCase.None ? "no event kind"
        : SubjectTokens.Mismatch(subject, e.TenantId, e.ConversationId);

    public void Write(RowBinaryWriter row, ConversationEvent record, ushort retentionDays, long archivedAtMs) =>
        EventRows.Write(row, record, retentionDays, archivedAtMs);
}
