using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomerService.Contracts;
using CustomerService.Webhooks.Registrations;
using Google.Protobuf;

namespace CustomerService.Webhooks.Events;

/// <summary>
/// One webhook event caused by one platform event: its name, what caused it (<see cref="SourceId"/>, the key that
/// makes a redelivered JetStream message no second delivery) and the payload, still without its delivery id.
/// </summary>
public sealed record WebhookEvent(string Name, string TenantId, string SourceId, DateTimeOffset OccurredAt, JsonObject Content)
{
    /// <summary>The exact body sent for one delivery: <c>event</c>, <c>delivery_id</c>, <c>tenant</c>, <c>occurred_at</c>, then the content.</summary>
    public string BodyFor(Guid deliveryId)
    {
        var body = new JsonObject
        {
            ["event"] = Name,
            ["delivery_id"] = deliveryId.ToString(),
            ["tenant"] = TenantId,
            ["occurred_at"] = WebhookPayloads.Timestamp(OccurredAt),
        };
        foreach (var (key, value) in Content) body[key] = value?.DeepClone();
        return body.ToJsonString(WebhookPayloads.Json);
    }
}

/// <summary>
/// Platform events (the Contracts protos) → webhook events with Chatwoot's names; docs/webhooks.md shows every
/// payload. Field names are snake_case, times ISO 8601 UTC with milliseconds.
/// </summary>
public static class WebhookPayloads
{
    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The event's details as the proto names them (agent_id, skill_group, ...), empty fields included.
    private static readonly JsonFormatter Details = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true));

    public static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The webhook events of a conversation event: none for an event of an unknown kind.</summary>
    public static IReadOnlyList<WebhookEvent> From(ConversationEvent e, string tenant, string fallbackSourceId)
    {
        string[] names = e.KindCase switch
        {
            ConversationEvent.KindOneofCase.Started => [WebhookEvents.ConversationCreated],
            ConversationEvent.KindOneofCase.Assigned or ConversationEvent.KindOneofCase.Transferred =>
                [WebhookEvents.ConversationStatusChanged, WebhookEvents.ConversationUpdated],
            ConversationEvent.KindOneofCase.None => [],
            _ => [WebhookEvents.ConversationStatusChanged],
        };
        if (names.Length == 0) return [];
        var kind = KindName(e.KindCase);
        var details = e.KindCase switch
        {
            ConversationEvent.KindOneofCase.Started => (IMessage)e.Started,
            ConversationEvent.KindOneofCase.Queued => e.Queued,
            ConversationEvent.KindOneofCase.Assigned => e.Assigned,
            ConversationEvent.KindOneofCase.Transferred => e.Transferred,
            ConversationEvent.KindOneofCase.Ended => e.Ended,
            ConversationEvent.KindOneofCase.Activated => e.Activated,
            _ => e.Handoff,
        };
        string? assignee = e.KindCase switch
        {
            ConversationEvent.KindOneofCase.Assigned => e.Assigned.AgentId,
            ConversationEvent.KindOneofCase.Transferred => e.Transferred.ToAgentId,
            _ => null,
        };
        var occurredAt = DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAtUnixMs);
        var sourceId = string.IsNullOrEmpty(e.EventId) ? fallbackSourceId : e.EventId;
        return names.Select(name =>
        {
            var conversation = new JsonObject { ["id"] = e.ConversationId, ["status"] = Status(e.State) };
            if (assignee is not null) conversation["assignee_id"] = assignee.Length == 0 ? null : assignee;
            var content = new JsonObject
            {
                ["conversation"] = conversation,
                ["conversation_event"] = new JsonObject
                {
                    ["id"] = e.EventId,
                    ["kind"] = kind,
                    ["details"] = JsonNode.Parse(Details.Format(details)),
                },
            };
            if (name == WebhookEvents.ConversationUpdated) content["changed_attributes"] = new JsonArray("assignee_id");
            return new WebhookEvent(name, tenant, sourceId, occurredAt, content);
        }).ToArray();
    }

    /// <summary><c>message_created</c> for a stored chat message.</summary>
    public static WebhookEvent From(ChatMessage m, string tenant)
    {
        var sender = m.Sender ?? new Participant();
        var quickReplies = new JsonArray();
        foreach (var reply in m.QuickReplies) quickReplies.Add(new JsonObject { ["title"] = reply.Title, ["payload"] = reply.Payload });
        var metadata = new JsonObject();
        foreach (var (key, value) in m.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) metadata[key] = value;
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(m.SentAtUnixMs);
        var content = new JsonObject
        {
            ["conversation"] = new JsonObject { ["id"] = m.ConversationId },
            ["message"] = new JsonObject
            {
                ["id"] = m.MessageId,
                ["seq"] = m.Seq,
                ["text"] = m.Text,
                // Chatwoot's message_type: incoming from the customer, outgoing from agents and bots, activity from the system.
                ["message_type"] = sender.Kind switch
                {
                    ParticipantKind.Customer => "incoming",
                    ParticipantKind.System => "activity",
                    _ => "outgoing",
                },
                ["sender"] = new JsonObject { ["type"] = SenderType(sender.Kind), ["id"] = sender.Id, ["name"] = sender.DisplayName },
                ["sent_at"] = Timestamp(sentAt),
                ["quick_replies"] = quickReplies,
                ["metadata"] = metadata,
            },
        };
        var sourceId = $"{m.ConversationId}:{(string.IsNullOrEmpty(m.MessageId) ? "seq-" + m.Seq.ToString(CultureInfo.InvariantCulture) : m.MessageId)}";
        return new WebhookEvent(WebhookEvents.MessageCreated, tenant, sourceId, sentAt, content);
    }

    /// <summary>The oneof case's field name, as in the subject: started, queued, assigned, ...</summary>
    public static string KindName(ConversationEvent.KindOneofCase kind) =>
        ConversationEvent.Descriptor.Oneofs[0].Fields.FirstOrDefault(f => f.FieldNumber == (int)kind)?.Name ?? "unknown";

    /// <summary>CONVERSATION_STATE_ASSIGNED → "assigned".</summary>
    public static string Status(ConversationState state) =>
        Enum.IsDefined(state) ? state.ToString().ToLowerInvariant() : ((int)state).ToString(CultureInfo.InvariantCulture);

    private static string SenderType(ParticipantKind kind) => kind switch
    {
        ParticipantKind.Customer => "customer",
        ParticipantKind.Agent => "agent",
        ParticipantKind.Bot => "bot",
        ParticipantKind.System => "system",
        _ => "unspecified",
    };
}
