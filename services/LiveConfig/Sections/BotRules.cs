using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CustomerService.LiveConfig;

/// <summary>How a bot rule's patterns are compared with a customer message (both folded, see <see cref="TextFolding"/>).</summary>
public enum BotMatchKind
{
    /// <summary>The message contains one of the patterns.</summary>
    [JsonStringEnumMemberName("keyword")] Keyword = 1,
    /// <summary>The whole message, without separators, is one of the patterns.</summary>
    [JsonStringEnumMemberName("phrase")] Phrase = 2,
    /// <summary>One of the patterns (.NET regular expressions, case-insensitive) matches the original message.</summary>
    [JsonStringEnumMemberName("regex")] Regex = 3,
}

/// <summary>Section <c>bot_rules</c>: the rules the bot answers by before any model, highest priority first.</summary>
public sealed record BotRules : IConfigSection<BotRules>
{
    /// <summary>Bound on a rule's regular expression at write time; the bot applies its own bound when matching.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    public static string SectionName => ConfigSections.BotRules;
    public static BotRules Empty { get; } = new();

    public string? WelcomeMessage { get; set; }
    /// <summary>What the bot says outside business hours (tenant_settings.business_hours).</summary>
    public string? OffHoursAnswer { get; set; }
    public IReadOnlyList<BotRule> Rules { get; set; } = [];

    public void Validate(ValidationErrors errors)
    {
        errors.Optional("welcome_message", WelcomeMessage, 2000);
        errors.Optional("off_hours_answer", OffHoursAnswer, 2000);
        errors.MaxCount("rules", Rules, 2000);
        errors.Unique(Rules, r => r.Name, "rules", "name");
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var path = $"rules[{i}]";
            errors.Required($"{path}.name", rule.Name, 100);
            errors.Defined($"{path}.kind", rule.Kind);
            errors.Range($"{path}.priority", rule.Priority, 0, 1000);
            errors.Required($"{path}.answer", rule.Answer, 4000);
            if (rule.Patterns.Count == 0) errors.Add($"{path}.patterns", "needs at least one pattern.");
            for (var p = 0; p < rule.Patterns.Count; p++)
            {
                var pattern = rule.Patterns[p];
                errors.Required($"{path}.patterns[{p}]", pattern, 500);
                if (rule.Kind == BotMatchKind.Regex && !string.IsNullOrEmpty(pattern))
                {
                    try { _ = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RegexTimeout); }
                    catch (ArgumentException e) { errors.Add($"{path}.patterns[{p}]", $"is not a valid regular expression: {e.Message}"); }
                }
                else if (rule.Kind != BotMatchKind.Regex && pattern is not null && TextFolding.FoldAndStrip(pattern).Length == 0)
                    errors.Add($"{path}.patterns[{p}]", "has no letters or digits.");
            }
            errors.MaxCount($"{path}.quick_replies", rule.QuickReplies, 10);
            for (var q = 0; q < rule.QuickReplies.Count; q++)
            {
                errors.Required($"{path}.quick_replies[{q}].label", rule.QuickReplies[q].Label, 40);
                errors.Optional($"{path}.quick_replies[{q}].text", rule.QuickReplies[q].Text, 500);
            }
        }
    }
}

public sealed record BotRule
{
    public string Name { get; set; } = "";
    public BotMatchKind Kind { get; set; } = BotMatchKind.Keyword;
    public IReadOnlyList<string> Patterns { get; set; } = [];
    /// <summary>Higher first; among equal priorities, the order listed.</summary>
    public int Priority { get; set; }
    public string Answer { get; set; } = "";
    public IReadOnlyList<QuickReply> QuickReplies { get; set; } = [];
}

/// <summary>A button under the bot's answer; tapping it sends <see cref="Text"/> (or the label) as the customer.</summary>
public sealed record QuickReply
{
    public string Label { get; set; } = "";
    public string? Text { get; set; }
}
