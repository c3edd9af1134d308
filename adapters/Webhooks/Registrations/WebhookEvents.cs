namespace CustomerService.Webhooks.Registrations;

/// <summary>The event names a webhook subscribes to: Chatwoot's names (docs/webhooks.md has the mapping).</summary>
public static class WebhookEvents
{
    /// <summary>A conversation started (ConversationEvent <c>started</c>).</summary>
    public const string ConversationCreated = "conversation_created";
    /// <summary>Its state changed: queued, assigned, activated, transferred, ended, bot handoff.</summary>
    public const string ConversationStatusChanged = "conversation_status_changed";
    /// <summary>Its assignee changed: assigned, transferred.</summary>
    public const string ConversationUpdated = "conversation_updated";
    /// <summary>A chat message was stored (CHAT_MESSAGES).</summary>
    public const string MessageCreated = "message_created";

    public static readonly IReadOnlyList<string> All = [ConversationCreated, ConversationStatusChanged, ConversationUpdated, MessageCreated];

    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);
}
