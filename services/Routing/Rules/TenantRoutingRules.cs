namespace CustomerService.Routing.Rules;

/// <summary>
/// How one tenant's conversations find their skill group when the caller does not name one, and where a
/// group's waiting conversations overflow to.
/// </summary>
public sealed record TenantRoutingRules
{
    /// <summary>The group of a conversation no rule matches; none: such a conversation is refused.</summary>
    public string? DefaultSkillGroup { get; init; }

    /// <summary>Tried by <see cref="RoutingRule.Order"/>, then as listed; the first that matches decides.</summary>
    public IReadOnlyList<RoutingRule> Rules { get; init; } = [];

    public IReadOnlyList<OverflowRule> Overflows { get; init; } = [];

    public static TenantRoutingRules None { get; } = new();
}

public sealed record RoutingRule
{
    public string Name { get; init; } = "";

    /// <summary>Lower is tried first.</summary>
    public int Order { get; init; }

    public RuleCondition When { get; init; } = new();

    public string SkillGroup { get; init; } = "";

    /// <summary>The conversation waits in the priority band of its queue, as a VIP customer's does.</summary>
    public bool HighPriority { get; init; }

    /// <summary>Where conversations this rule placed overflow to; null: the group's entry of <see cref="TenantRoutingRules.Overflows"/>, if any.</summary>
    public OverflowRule? Overflow { get; init; }
}

/// <summary>
/// Every list given must match (a list matches when any of its entries does); an empty list matches anything.
/// </summary>
public sealed record RuleCondition
{
    /// <summary>Patterns of the page the chat was opened on, '*' matching any run of characters, case-insensitive.</summary>
    public IReadOnlyList<string> EntryPages { get; init; } = [];

    /// <summary>Language tags; "zh" matches "zh", "zh-CN" and "zh_TW".</summary>
    public IReadOnlyList<string> Languages { get; init; } = [];

    /// <summary>Customer tiers from the CRM profile (e.g. vip), case-insensitive.</summary>
    public IReadOnlyList<string> CustomerTiers { get; init; } = [];

    /// <summary>Words of which the first message must contain one; case and full-width forms folded.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];
}

/// <summary>A conversation that has waited <see cref="After"/> in <see cref="FromSkillGroup"/> moves to <see cref="ToSkillGroup"/>.</summary>
public sealed record OverflowRule
{
    public string FromSkillGroup { get; init; } = "";
    public string ToSkillGroup { get; init; } = "";
    public TimeSpan After { get; init; }
}
