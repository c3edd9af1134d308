namespace CustomerService.Bot.Knowledge;

/// <summary>
/// What the bot knows about one tenant: settings, rules and FAQ. A snapshot: a change replaces the snapshot (or one
/// of its lists) rather than mutating it, which is how the engine and the predictors know to rebuild their indexes.
/// The three parts match the live-configuration documents tenant_settings, bot_rules and faq.
/// </summary>
public sealed record TenantKnowledge
{
    public static TenantKnowledge Empty { get; } = new();

    public BotSettings Settings { get; init; } = new();
    public IReadOnlyList<BotRule> Rules { get; init; } = [];
    public IReadOnlyList<FaqEntry> Faq { get; init; } = [];
}

public sealed record BotSettings
{
    /// <summary>The name customers and agents see on the bot's messages.</summary>
    public string DisplayName { get; init; } = "智能客服";

    /// <summary>Sent when a bot-first conversation opens within business hours (null: a default in the customer's language; empty text: none).</summary>
    public BotAnswer? Welcome { get; init; }
    /// <summary>Sent instead of the welcome outside business hours, and instead of a handoff (no agent is there to take it).</summary>
    public BotAnswer? OffHours { get; init; }
    /// <summary>Posted just before a handoff, so the customer knows a human is coming and the agent sees why.</summary>
    public BotAnswer? HandoffNotice { get; init; }
    /// <summary>The answer to a turn nothing could answer (asks the customer to rephrase).</summary>
    public BotAnswer? Fallback { get; init; }

    public BusinessHours BusinessHours { get; init; } = new();

    /// <summary>A predicted answer at or above this confidence is sent; a candidate below it goes to a human.</summary>
    public double ConfidenceThreshold { get; init; } = 0.4;
    /// <summary>Consecutive turns the bot could not answer before it hands off; 0 turns this off.</summary>
    public int MaxUnansweredTurns { get; init; } = 3;

    /// <summary>Words by which a customer asks for a human (null: <see cref="HandoffPhrases.Default"/>).</summary>
    public IReadOnlyList<string>? HandoffPhrases { get; init; }
    /// <summary>Longer words that contain a handoff phrase without asking for a human, e.g. 人工智能 (null: the default list).</summary>
    public IReadOnlyList<string>? HandoffExclusions { get; init; }
    /// <summary>The skill group a handoff asks Routing for; empty lets routing rules decide.</summary>
    public string HandoffSkillGroup { get; init; } = "";

    /// <summary>Reusable answers by id: rules refer to them, and a quick-reply payload "canned:{id}" is answered by one.</summary>
    public IReadOnlyDictionary<string, BotAnswer> CannedAnswers { get; init; } = new Dictionary<string, BotAnswer>();

    /// <summary>
    /// Bound on one regular-expression rule's match, so a pathological pattern cannot stall the bot. Generous, because a
    /// match that merely waits for the CPU on a loaded machine must not be mistaken for one that runs away.
    /// </summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(200);
}

public sealed record BotAnswer
{
    public string Text { get; init; } = "";
    public IReadOnlyList<QuickReplyButton> QuickReplies { get; init; } = [];
}

/// <summary>A button under a bot message; the widget sends <see cref="Payload"/> as the customer's next message.</summary>
public sealed record QuickReplyButton
{
    public string Title { get; init; } = "";
    public string Payload { get; init; } = "";
}

public enum RuleKind
{
    /// <summary>The message contains one of the patterns (whole words for Latin script, anywhere for Chinese).</summary>
    Keyword,
    /// <summary>The whole message is one of the patterns, ignoring case, punctuation and spacing.</summary>
    Phrase,
    /// <summary>The message matches one of the regular expressions (case-insensitive, bounded by a timeout).</summary>
    Regex,
}

public sealed record BotRule
{
    public string Id { get; init; } = "";
    /// <summary>Lower runs first; rules of equal priority run in the order they are listed.</summary>
    public int Priority { get; init; }
    public RuleKind Kind { get; init; }
    public IReadOnlyList<string> Patterns { get; init; } = [];
    /// <summary>The answer; or <see cref="CannedAnswer"/> names one of the tenant's canned answers.</summary>
    public BotAnswer? Answer { get; init; }
    public string? CannedAnswer { get; init; }
    public bool Enabled { get; init; } = true;
}

public sealed record FaqEntry
{
    public string Id { get; init; } = "";
    public string Question { get; init; } = "";
    /// <summary>Other ways customers ask the same question (相似问法): each is indexed like the question.</summary>
    public IReadOnlyList<string> Alternates { get; init; } = [];
    public string Answer { get; init; } = "";
    public IReadOnlyList<QuickReplyButton> QuickReplies { get; init; } = [];
}

/// <summary>Weekly opening hours in the tenant's time zone; no <see cref="Weekly"/> entries means always open.</summary>
public sealed record BusinessHours
{
    /// <summary>IANA (Asia/Shanghai) or Windows time-zone id.</summary>
    public string TimeZone { get; init; } = "UTC";
    public IReadOnlyList<OpeningHours> Weekly { get; init; } = [];
    /// <summary>Dates (in the tenant's time zone) with no service, e.g. public holidays.</summary>
    public IReadOnlyList<DateOnly> Closed { get; init; } = [];
    /// <summary>Open only in the <see cref="Weekly"/> hours, even when there are none (then always closed).</summary>
    public bool OnlyWeekly { get; init; }
}

/// <summary>Open from <see cref="Open"/> to <see cref="Close"/> on each of <see cref="Days"/>; a close at or before the open runs past midnight.</summary>
public sealed record OpeningHours
{
    public IReadOnlyList<DayOfWeek> Days { get; init; } = [];
    public TimeOnly Open { get; init; }
    public TimeOnly Close { get; init; }
}
