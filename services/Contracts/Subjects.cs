namespace CustomerService.Contracts;

/// <summary>NATS subjects of the platform, defined once (docs/events.md describes payloads and who publishes).</summary>
public static class Subjects
{
    /// <summary>JetStream CHAT_MESSAGES: every chat message (ChatMessage).</summary>
    public static string Message(string tenant, string conversation) => $"cs.msg.{tenant}.{conversation}";
    public const string AllMessages = "cs.msg.>";

    /// <summary>JetStream CONVERSATION_EVENTS: every conversation event (ConversationEvent); kind = started, queued, assigned, activated, transferred, ended, handoff.</summary>
    public static string ConversationEvent(string tenant, string conversation, string kind) => $"cs.conv.{tenant}.{conversation}.{kind}";
    public const string AllConversationEvents = "cs.conv.>";

    /// <summary>Core NATS: risk-control events (RiskEvent).</summary>
    public static string SensitiveWordHit(string tenant) => $"cs.risk.{tenant}.sensitive_word";

    /// <summary>Core NATS request-reply to Session (queue group "session").</summary>
    public const string SessionPost = "cs.session.post";
    public const string SessionHandoff = "cs.session.handoff";

    /// <summary>Core NATS: customer messages of bot-handled conversations (BotInboxMessage), queue group "bot".</summary>
    public static string BotInbox(string tenant) => $"cs.bot.inbox.{tenant}";
    public const string AllBotInbox = "cs.bot.inbox.*";

    /// <summary>Core NATS: delivery fan-out to the Session replica that holds a participant's socket.</summary>
    public static string Delivery(string tenant, string conversation) => $"cs.deliver.{tenant}.{conversation}";
    public const string AllDelivery = "cs.deliver.>";

    /// <summary>Core NATS: like <see cref="Delivery"/>, for the agents of a conversation only (customer context).</summary>
    public static string AgentDelivery(string tenant, string conversation) => $"cs.agents.{tenant}.{conversation}";
    public const string AllAgentDelivery = "cs.agents.>";

    /// <summary>Tickets (客服转工单): TicketRequested / TicketResult.</summary>
    public static string TicketRequested(string tenant) => $"cs.ticket.{tenant}.requested";
    public static string TicketResult(string tenant) => $"cs.ticket.{tenant}.result";
    public const string AllTicketRequests = "cs.ticket.*.requested";
    public const string AllTicketResults = "cs.ticket.*.result";
    /// <summary>The JetStream stream holding both (docs/tickets.md: file storage, 30 days, de-duplication window 10 minutes).</summary>
    public const string TicketStreamName = "TICKETS";
    public const string AllTickets = "cs.ticket.>";
}

/// <summary>Redis keys shared between services.</summary>
public static class RedisKeys
{
    /// <summary>List of the latest messages of a conversation (ChatMessage protobuf), oldest first, capped at <see cref="RecentMessagesKept"/>.</summary>
    public static string RecentMessages(string tenant, string conversation) => $"cs:{tenant}:conv:{conversation}:recent";
    /// <remarks>
    /// 200: a socket away for a while (a reconnect wave after a Session restart under load takes tens of seconds,
    /// at several messages a second per conversation) resumes from Redis instead of a stream read, which on
    /// nats-server 2.9 walks the whole stream (docs/performance.md, "Session 12"). What a welcome shows and a bot's
    /// handoff carries stays <see cref="LatestShown"/>.
    /// </remarks>
    public const int RecentMessagesKept = 200;

    /// <summary>The latest messages a welcome's entry holds and a handoff's context carries.</summary>
    public const int LatestShown = 50;

    /// <summary>The customer context preloaded for a conversation (CustomerContext protobuf).</summary>
    public static string CustomerContext(string tenant, string conversation) => $"cs:{tenant}:conv:{conversation}:context";
}

/// <summary>
/// The tenant and conversation of a stream subject (cs.msg.{tenant}.{conversation}, cs.conv.{tenant}.{conversation}.{kind}).
/// The subject is what the platform routes and permits by: a payload that claims another tenant than its subject is
/// neither archived (HistoryWriter) nor sent to any tenant's webhooks (Webhooks), or per-tenant permissions on subjects
/// would be moot.
/// </summary>
public static class SubjectTokens
{
    public static string Tenant(string subject) => Token(subject, 2).ToString();

    /// <summary>The tenant and conversation of a subject of at least four tokens (cs.{kind}.{tenant}.{conversation}[...]).</summary>
    public static bool TryConversation(string subject, out string tenant, out string conversation)
    {
        bool enough = subject.AsSpan().Count('.') >= 3;
        tenant = enough ? Token(subject, 2).ToString() : "";
        conversation = enough ? Token(subject, 3).ToString() : "";
        return enough;
    }

    public static string? Mismatch(string subject, string tenant, string conversation) =>
        !Token(subject, 2).SequenceEqual(tenant) ? $"tenant_id '{tenant}' differs from the subject {subject}"
        : !Token(subject, 3).SequenceEqual(conversation) ? $"conversation_id '{conversation}' differs from the subject {subject}"
        : null;

    private static ReadOnlySpan<char> Token(string subject, int index)
    {
        var rest = subject.AsSpan();
        for (var i = 0; i < index; i++)
        {
            var dot = rest.IndexOf('.');
            if (dot < 0) return default;
            rest = rest[(dot + 1)..];
        }
        var end = rest.IndexOf('.');
        return end < 0 ? rest : rest[..end];
    }
}
