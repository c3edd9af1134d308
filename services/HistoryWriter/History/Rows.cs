using System.Text.Json.Serialization;

namespace CustomerService.HistoryWriter.History;

// Rows as the queries of HistoryQueries select them (JSONEachRow, snake_case columns). Times come as epoch
// milliseconds so that no text date format stands between the engine and the API.

internal sealed record MessageRow(
    string ConversationId,
    long Seq,
    string MessageId,
    string SenderKind,
    string SenderId,
    string SenderName,
    string Text,
    long SentAtMs,
    Dictionary<string, string> Metadata,
    List<QuickReplyRow> QuickReplies)
{
    public MessageView ToView() => new(ConversationId, Seq, MessageId, SenderKind, SenderId, SenderName, Text,
        DateTimeOffset.FromUnixTimeMilliseconds(SentAtMs), Metadata, QuickReplies.ConvertAll(q => new QuickReplyView(q.Title, q.Payload)));
}

internal sealed record QuickReplyRow(string Title, string Payload);

internal sealed record EventRow(
    string EventId,
    string Kind,
    string State,
    long OccurredAtMs,
    string CustomerId,
    string CustomerName,
    string AgentId,
    string AgentName,
    string SkillGroup,
    string FromAgentId,
    string Reason,
    string EndedBy,
    string EntryPage,
    string Language,
    int QueuePosition)
{
    public ConversationEventView ToView() => new(EventId, Kind, State, DateTimeOffset.FromUnixTimeMilliseconds(OccurredAtMs), CustomerId,
        CustomerName, AgentId, AgentName, SkillGroup, FromAgentId, Reason, EndedBy, EntryPage, Language, QueuePosition);
}

internal sealed record ConversationFiguresRow(
    long BucketMs,
    string Key,
    long Conversations,
    double? FirstResponseMs,
    double? ResolutionMs,
    long Ended,
    long BotResolved,
    long Handoffs,
    long Transfers);

internal sealed record MessageFiguresRow(long BucketMs, string Key, long Messages, long SensitiveWordHits);

internal sealed record OwnershipRow(long Own, long Foreign);

internal sealed record TimeZoneRow(string Name);

internal sealed record ParkedRow(long ParkedAtMs, string Stream, string Subject, ulong StreamSeq, string Reason, string PayloadBase64)
{
    [JsonIgnore]
    public Archive.ParkedId Id => new(Stream, StreamSeq);

    public ParkedView ToView() => new(Id.ToString(), DateTimeOffset.FromUnixTimeMilliseconds(ParkedAtMs), Stream, Subject, StreamSeq, Reason, PayloadBase64);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(MessageRow))]
[JsonSerializable(typeof(EventRow))]
[JsonSerializable(typeof(ConversationFiguresRow))]
[JsonSerializable(typeof(MessageFiguresRow))]
[JsonSerializable(typeof(OwnershipRow))]
[JsonSerializable(typeof(TimeZoneRow))]
[JsonSerializable(typeof(ParkedRow))]
internal sealed partial class RowsJsonContext : JsonSerializerContext;
