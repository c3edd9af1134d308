using System.Buffers;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.Storage;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>Builds messages and events as the platform publishes them, and stores them the way the archive does.</summary>
internal sealed class HistoryData
{
    public List<ChatMessage> Messages { get; } = [];
    public List<ConversationEvent> Events { get; } = [];

    /// <summary>Midnight UTC three days ago: recent enough for any retention, far enough for whole days.</summary>
    public static DateTimeOffset Day0 { get; } = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-3);

    public ChatMessage Message(string tenant, string conversation, long seq, ParticipantKind kind, string senderId, string text,
        DateTimeOffset at, params (string Key, string Value)[] metadata)
    {
        var message = new ChatMessage
        {
            MessageId = $"{conversation}-m{seq}",
            TenantId = tenant,
            ConversationId = conversation,
            Seq = seq,
            Sender = new Participant { Kind = kind, Id = senderId, DisplayName = senderId.ToUpperInvariant() },
            Text = text,
            SentAtUnixMs = at.ToUnixTimeMilliseconds(),
        };
        foreach (var (key, value) in metadata) message.Metadata[key] = value;
        Messages.Add(message);
        return message;
    }

    public ConversationEvent Event(string tenant, string conversation, DateTimeOffset at, ConversationState state, Action<ConversationEvent> kind)
    {
        var e = new ConversationEvent
        {
            EventId = $"{conversation}-e{Events.Count(x => x.ConversationId == conversation) + 1}",
            TenantId = tenant,
            ConversationId = conversation,
            OccurredAtUnixMs = at.ToUnixTimeMilliseconds(),
            State = state,
        };
        kind(e);
        Events.Add(e);
        return e;
    }

    public ConversationEvent Started(string tenant, string conversation, DateTimeOffset at, string customer, string skillGroup, bool bot) =>
        Event(tenant, conversation, at, bot ? ConversationState.Bot : ConversationState.New, e => e.Started = new ConversationStarted
        {
            Customer = new Participant { Kind = ParticipantKind.Customer, Id = customer, DisplayName = customer },
            SkillGroup = skillGroup,
            Language = "zh-CN",
        });

    public ConversationEvent Queued(string tenant, string conversation, DateTimeOffset at, string skillGroup) =>
        Event(tenant, conversation, at, ConversationState.Queued, e => e.Queued = new ConversationQueued { SkillGroup = skillGroup, Position = 1 });

    public ConversationEvent Assigned(string tenant, string conversation, DateTimeOffset at, string agent, string skillGroup) =>
        Event(tenant, conversation, at, ConversationState.Assigned, e => e.Assigned = new AgentAssigned { AgentId = agent, AgentName = agent, SkillGroup = skillGroup });

    public ConversationEvent Transferred(string tenant, string conversation, DateTimeOffset at, string from, string to) =>
        Event(tenant, conversation, at, ConversationState.Transferred, e => e.Transferred = new ConversationTransferred { FromAgentId = from, ToAgentId = to });

    public ConversationEvent Handoff(string tenant, string conversation, DateTimeOffset at) =>
        Event(tenant, conversation, at, ConversationState.Queued, e => e.Handoff = new BotHandoff { Reason = "requested" });

    public ConversationEvent Ended(string tenant, string conversation, DateTimeOffset at, string by) =>
        Event(tenant, conversation, at, ConversationState.Ended, e => e.Ended = new ConversationEnded { EndedBy = by, Reason = "resolved" });

    /// <summary>Stores everything through the archive's own row encoders, as one insert per table.</summary>
    public async Task StoreAsync(IHistoryDatabase database, HistorySchema schema, IEnumerable<ChatMessage>? messages = null,
        IEnumerable<ConversationEvent>? events = null)
    {
        var archivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var rows = new ArrayBufferWriter<byte>();
        foreach (var m in messages ?? Messages) MessageRows.Write(new RowBinaryWriter(rows), m, 365, archivedAt);
        if (rows.WrittenCount > 0) await database.InsertAsync(schema.Messages, HistorySchema.MessageColumns, rows.WrittenMemory, default);
        rows = new ArrayBufferWriter<byte>();
        foreach (var e in events ?? Events) EventRows.Write(new RowBinaryWriter(rows), e, 365, archivedAt);
        if (rows.WrittenCount > 0) await database.InsertAsync(schema.Events, HistorySchema.EventColumns, rows.WrittenMemory, default);
    }
}
