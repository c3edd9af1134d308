using System.Text.RegularExpressions;

namespace CustomerService.Bot.Knowledge;

/// <summary>Everything that would make a tenant's knowledge misbehave at message time, found before it is used.</summary>
public static class BotKnowledgeValidator
{
    public static IReadOnlyList<string> Validate(TenantKnowledge knowledge)
    {
        var errors = new List<string>();
        var settings = knowledge.Settings;
        if (settings.ConfidenceThreshold is < 0 or > 1) errors.Add($"ConfidenceThreshold {settings.ConfidenceThreshold} is outside [0, 1]");
        if (settings.MaxUnansweredTurns < 0) errors.Add("MaxUnansweredTurns is negative");
        if (settings.RegexTimeout <= TimeSpan.Zero) errors.Add("RegexTimeout must be positive");
        ValidateHours(settings.BusinessHours, errors);

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < knowledge.Rules.Count; i++)
        {
            var rule = knowledge.Rules[i];
            var name = string.IsNullOrEmpty(rule.Id) ? $"rule #{i + 1}" : $"rule '{rule.Id}'";
            if (rule.Id.Length > 0 && !ids.Add(rule.Id)) errors.Add($"{name} is defined twice");
            if (rule.Patterns.Count == 0 || rule.Patterns.All(string.IsNullOrWhiteSpace)) errors.Add($"{name} has no patterns");
            if (rule.Answer is null == rule.CannedAnswer is null) errors.Add($"{name} needs exactly one of Answer and CannedAnswer");
            if (rule.CannedAnswer is { } canned && !settings.CannedAnswers.ContainsKey(canned)) errors.Add($"{name} refers to unknown canned answer '{canned}'");
            if (rule.Kind == RuleKind.Regex)
            {
                foreach (var pattern in rule.Patterns)
                {
                    try { _ = new Regex(pattern, RegexOptions.None, settings.RegexTimeout); }
                    catch (ArgumentException ex) { errors.Add($"{name} has an invalid regular expression '{pattern}': {ex.Message}"); }
                }
            }
        }

        ids.Clear();
        for (var i = 0; i < knowledge.Faq.Count; i++)
        {
            var entry = knowledge.Faq[i];
            var name = string.IsNullOrEmpty(entry.Id) ? $"FAQ entry #{i + 1}" : $"FAQ entry '{entry.Id}'";
            if (entry.Id.Length > 0 && !ids.Add(entry.Id)) errors.Add($"{name} is defined twice");
            if (string.IsNullOrWhiteSpace(entry.Question)) errors.Add($"{name} has no question");
            if (string.IsNullOrWhiteSpace(entry.Answer)) errors.Add($"{name} has no answer");
        }
        return errors;
    }

    private static void ValidateHours(BusinessHours hours, List<string> errors)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(hours.TimeZone, out _)) errors.Add($"unknown time zone '{hours.TimeZone}'");
        for (var i = 0; i < hours.Weekly.Count; i++)
        {
            if (hours.Weekly[i].Days.Count == 0) errors.Add($"BusinessHours.Weekly #{i + 1} names no days");
        }
    }
}
