namespace CustomerService.HistoryWriter.History;

/// <summary>A stored chat message as the history API shows it.</summary>
public sealed record MessageView(
    string ConversationId,
    long Seq,
    string MessageId,
    string SenderKind,
    string SenderId,
    string SenderName,
    string Text,
    DateTimeOffset SentAt,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<QuickReplyView> QuickReplies);

public sealed record QuickReplyView(string Title, string Payload);

/// <summary>
/// A page of a conversation's transcript in seq order. NextAfter continues forward (null at the end);
/// NextBefore continues backward, for scrolling back (null at the beginning).
/// </summary>
public sealed record TranscriptPage(string ConversationId, IReadOnlyList<MessageView> Messages, long? NextAfter, long? NextBefore);

public sealed record SearchResult(IReadOnlyList<MessageView> Hits, DateTimeOffset From, DateTimeOffset To);

/// <summary>A conversation event, its oneof flattened (empty fields say nothing).</summary>
public sealed record ConversationEventView(
    string EventId,
    string Kind,
    string State,
    DateTimeOffset OccurredAt,
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
    int QueuePosition);

public sealed record ConversationExport(
    string TenantId,
    string ConversationId,
    DateTimeOffset ExportedAt,
    IReadOnlyList<ConversationEventView> Events,
    IReadOnlyList<MessageView> Messages);

/// <summary>
/// BI figures of one bucket (hour or day) for one key (the tenant, an agent or a skill group). Conversations and
/// their figures count in the bucket where the conversation started; messages and sensitive-word hits in the bucket
/// where they were sent. Times are in seconds; a figure with nothing to average is null.
/// </summary>
public sealed record StatsRow(
    DateTimeOffset Bucket,
    string Key,
    long Conversations,
    long Messages,
    double? AvgFirstResponseSeconds,
    double? AvgResolutionSeconds,
    long Ended,
    long BotResolved,
    double? BotResolvedShare,
    long Handoffs,
    long Transfers,
    long SensitiveWordHits);

public sealed record StatsReport(string Bucket, string By, string TimeZone, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<StatsRow> Rows);

public sealed record RetentionSetting(int Days);

/// <summary>A parked message: <see cref="Id"/> is its place in its stream ("CHAT_MESSAGES-42"), what replay takes.</summary>
public sealed record ParkedView(string Id, DateTimeOffset ParkedAt, string Stream, string Subject, ulong StreamSeq, string Reason, string PayloadBase64);

/// <summary>Parked messages newest first; <see cref="NextBefore"/> continues with older ones (null at the end).</summary>
public sealed record ParkedPage(IReadOnlyList<ParkedView> Parked, string? NextBefore);

/// <summary>What replaying parked messages did: how many are archived now, and which are parked again with their new reason.</summary>
public sealed record ParkedReplayReport(int Replayed, IReadOnlyList<ParkedView> StillParked);

public enum StatsBucket { Hour, Day }

public enum StatsDimension { Tenant, Agent, SkillGroup }
