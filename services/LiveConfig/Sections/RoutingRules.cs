namespace CustomerService.LiveConfig;

/// <summary>
/// Section <c>routing_rules</c>: which skill group a new conversation goes to. Rules are tried in order; the
/// first whose every given criterion matches decides. No match: <see cref="DefaultGroup"/>.
/// </summary>
public sealed record RoutingRules : IConfigSection<RoutingRules>
{
    public static string SectionName => ConfigSections.RoutingRules;
    public static RoutingRules Empty { get; } = new();

    public string DefaultGroup { get; set; } = "default";
    /// <summary>Conversations an agent holds at once unless the agent's account says otherwise.</summary>
    public int DefaultAgentCapacity { get; set; } = 5;
    public IReadOnlyList<RoutingRule> Rules { get; set; } = [];

    public RoutingDecision Decide(RoutingRequest request)
    {
        string? foldedMessage = null;
        foreach (var rule in Rules)
        {
            if (!rule.Match.Matches(request, ref foldedMessage)) continue;
            return new RoutingDecision(rule.SkillGroup, rule.Priority, rule.Overflow, rule.Name);
        }
        return new RoutingDecision(DefaultGroup, 0, null, null);
    }

    public void Validate(ValidationErrors errors)
    {
        errors.Required("default_group", DefaultGroup, 100);
        errors.Range("default_agent_capacity", DefaultAgentCapacity, 1, 100);
        errors.MaxCount("rules", Rules, 500);
        errors.Unique(Rules, r => r.Name, "rules", "name");
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var path = $"rules[{i}]";
            errors.Required($"{path}.name", rule.Name, 100);
            errors.Required($"{path}.skill_group", rule.SkillGroup, 100);
            errors.Range($"{path}.priority", rule.Priority, 0, 100);
            rule.Match.Validate($"{path}.match", errors);
            if (rule.Overflow is { } overflow)
            {
                errors.Range($"{path}.overflow.after_seconds", overflow.AfterSeconds, 1, 86_400);
                errors.Required($"{path}.overflow.to_group", overflow.ToGroup, 100);
                if (overflow.ToGroup == rule.SkillGroup) errors.Add($"{path}.overflow.to_group", "must differ from skill_group.");
            }
        }
    }
}

public sealed record RoutingRule
{
    public string Name { get; set; } = "";
    public RoutingMatch Match { get; set; } = new();
    public string SkillGroup { get; set; } = "";
    /// <summary>Queue priority: higher is served first (0..100).</summary>
    public int Priority { get; set; }
    public RoutingOverflow? Overflow { get; set; }
}

/// <summary>
/// Criteria of a rule; an empty list matches anything. Entry pages: exact paths, or prefixes ending in '*'.
/// Languages: "zh" matches "zh-CN". Keywords: any of them in the first message, folded like sensitive words.
/// </summary>
public sealed record RoutingMatch
{
    public IReadOnlyList<string> EntryPages { get; set; } = [];
    public IReadOnlyList<string> Languages { get; set; } = [];
    public IReadOnlyList<string> CustomerTiers { get; set; } = [];
    public IReadOnlyList<string> Keywords { get; set; } = [];

    internal bool Matches(RoutingRequest request, ref string? foldedMessage)
    {
        if (EntryPages.Count > 0 && !AnyEntryPage(request.EntryPage)) return false;
        if (Languages.Count > 0 && !AnyLanguage(request.Language)) return false;
        if (CustomerTiers.Count > 0 && !Contains(CustomerTiers, request.CustomerTier)) return false;
        if (Keywords.Count > 0)
        {
            foldedMessage ??= TextFolding.FoldAndStrip(request.FirstMessage ?? "");
            var any = false;
            foreach (var keyword in Keywords)
                if (foldedMessage.Contains(TextFolding.FoldAndStrip(keyword), StringComparison.Ordinal)) { any = true; break; }
            if (!any) return false;
        }
        return true;
    }

    private bool AnyEntryPage(string? page)
    {
        if (string.IsNullOrEmpty(page)) return false;
        foreach (var pattern in EntryPages)
        {
            if (pattern.EndsWith('*') ? page.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.OrdinalIgnoreCase)
                                      : page.Equals(pattern, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private bool AnyLanguage(string? language)
    {
        if (string.IsNullOrEmpty(language)) return false;
        foreach (var wanted in Languages)
        {
            if (language.Equals(wanted, StringComparison.OrdinalIgnoreCase)) return true;
            if (language.Length > wanted.Length && language[wanted.Length] == '-'
                && language.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static bool Contains(IReadOnlyList<string> values, string? value)
    {
        if (string.IsNullOrEmpty(value)) return false;
        foreach (var v in values) if (v.Equals(value, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    internal void Validate(string path, ValidationErrors errors)
    {
        Each(EntryPages, $"{path}.entry_pages", errors, 500);
        Each(Languages, $"{path}.languages", errors, 20);
        Each(CustomerTiers, $"{path}.customer_tiers", errors, 50);
        for (var i = 0; i < Keywords.Count; i++)
            if (TextFolding.FoldAndStrip(Keywords[i]).Length == 0) errors.Add($"{path}.keywords[{i}]", "has no letters or digits.");
        Each(Keywords, $"{path}.keywords", errors, 100);
    }

    private static void Each(IReadOnlyList<string> values, string path, ValidationErrors errors, int maxLength)
    {
        errors.MaxCount(path, values, 200);
        for (var i = 0; i < values.Count; i++) errors.Required($"{path}[{i}]", values[i], maxLength);
    }
}

/// <summary>After <see cref="AfterSeconds"/> in the queue without an agent, the conversation also waits for <see cref="ToGroup"/>.</summary>
public sealed record RoutingOverflow
{
    public int AfterSeconds { get; set; }
    public string ToGroup { get; set; } = "";
}

/// <summary>What routing knows of a new conversation: entry page, language, the CRM's customer tier, the first message.</summary>
public sealed record RoutingRequest(string? EntryPage, string? Language, string? CustomerTier, string? FirstMessage);

/// <summary>Where the conversation waits, with which priority, and where it overflows to; RuleName null when the default applied.</summary>
public sealed record RoutingDecision(string SkillGroup, int Priority, RoutingOverflow? Overflow, string? RuleName);
