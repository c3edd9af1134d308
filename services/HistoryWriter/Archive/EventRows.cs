using CustomerService.Contracts;
using CustomerService.HistoryWriter.Storage;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>
/// A ConversationEvent as a row of conversation_events (<see cref="HistorySchema.EventColumns"/>, in that order):
/// the oneof is flattened into the columns the BI queries and the export read.
/// </summary>
internal static class EventRows
{
    public static void Write(RowBinaryWriter row, ConversationEvent e, ushort retentionDays, long archivedAtMs)
    {
        var facts = EventFacts.Of(e);
        row.String(e.TenantId);
        row.String(e.ConversationId);
        row.String(e.EventId);
        row.String(facts.Kind);
        row.String(ConversationStates.Name(e.State));
        row.DateTime64Milliseconds(e.OccurredAtUnixMs);
        row.String(facts.CustomerId);
        row.String(facts.CustomerName);
        row.String(facts.AgentId);
        row.String(facts.AgentName);
        row.String(facts.SkillGroup);
        row.String(facts.FromAgentId);
        row.String(facts.Reason);
        row.String(facts.EndedBy);
        row.String(facts.EntryPage);
        row.String(facts.Language);
        row.Int32(facts.QueuePosition);
        row.UInt16(retentionDays);
        row.DateTime64Milliseconds(archivedAtMs);
    }

    /// <summary>What one event says, whatever its kind; empty where the kind says nothing about it.</summary>
    private readonly record struct EventFacts(string Kind)
    {
        public string CustomerId { get; init; } = "";
        public string CustomerName { get; init; } = "";
        public string AgentId { get; init; } = "";
        public string AgentName { get; init; } = "";
        public string SkillGroup { get; init; } = "";
        public string FromAgentId { get; init; } = "";
        public string Reason { get; init; } = "";
        public string EndedBy { get; init; } = "";
        public string EntryPage { get; init; } = "";
        public string Language { get; init; } = "";
        public int QueuePosition { get; init; }

        public static EventFacts Of(ConversationEvent e) => e.KindCase switch
        {
            ConversationEvent.KindOneofCase.Started => new(EventKinds.Started)
            {
                CustomerId = e.Started.Customer?.Id ?? "",
                CustomerName = e.Started.Customer?.DisplayName ?? "",
                SkillGroup = e.Started.SkillGroup,
                EntryPage = e.Started.EntryPage,
                Language = e.Started.Language,
            },
            ConversationEvent.KindOneofCase.Queued => new(EventKinds.Queued)
            {
                SkillGroup = e.Queued.SkillGroup,
                QueuePosition = e.Queued.Position,
            },
            ConversationEvent.KindOneofCase.Assigned => new(EventKinds.Assigned)
            {
                AgentId = e.Assigned.AgentId,
                AgentName = e.Assigned.AgentName,
                SkillGroup = e.Assigned.SkillGroup,
            },
            ConversationEvent.KindOneofCase.Activated => new(EventKinds.Activated) { AgentId = e.Activated.AgentId },
            ConversationEvent.KindOneofCase.Transferred => new(EventKinds.Transferred)
            {
                FromAgentId = e.Transferred.FromAgentId,
                AgentId = e.Transferred.ToAgentId,
                SkillGroup = e.Transferred.ToSkillGroup,
                Reason = e.Transferred.Reason,
            },
            ConversationEvent.KindOneofCase.Ended => new(EventKinds.Ended)
            {
                EndedBy = e.Ended.EndedBy,
                Reason = e.Ended.Reason,
            },
            ConversationEvent.KindOneofCase.Handoff => new(EventKinds.Handoff) { Reason = e.Handoff.Reason },
            _ => new(EventKinds.Unknown),
        };
    }
}

/// <summary>Event kinds as stored: the oneof field names of ConversationEvent, as in its NATS subject.</summary>
internal static class EventKinds
{
    public const string Started = "started";
    public const string Queued = "queued";
    public const string Assigned = "assigned";
    public const string Activated = "activated";
    public const string Transferred = "transferred";
    public const string Ended = "ended";
    public const string Handoff = "handoff";
    public const string Unknown = "unknown";
}

internal static class ConversationStates
{
    public static string Name(ConversationState state) => state switch
    {
        ConversationState.New => "new",
        ConversationState.Queued => "queued",
        ConversationState.Assigned => "assigned",
        ConversationState.Active => "active",
        ConversationState.Transferred => "transferred",
        ConversationState.Ended => "ended",
        ConversationState.Bot => "bot",
        _ => "unspecified",
    };
}
