using System.Globalization;
using CustomerService.LiveConfig;

namespace CustomerService.Routing.Rules;

/// <summary>Finds the routing rule that decides a conversation's skill group.</summary>
public static class RuleEvaluator
{
    private static readonly CompareInfo Compare = CultureInfo.InvariantCulture.CompareInfo;

    /// <summary>The first matching rule by order, or null when none matches.</summary>
    public static RoutingRule? Match(TenantRoutingRules rules, ConversationFacts facts)
    {
        RoutingRule? best = null;
        string? folded = null;
        // Rules are few; one pass keeping the lowest order avoids sorting per conversation and keeps list order on ties.
        foreach (var rule in rules.Rules)
        {
            if (best is not null && rule.Order >= best.Order) continue;
            if (Matches(rule.When, facts, ref folded)) best = rule;
        }
        return best;
    }

    private static bool Matches(RuleCondition when, ConversationFacts facts, ref string? foldedMessage)
    {
        if (when.EntryPages.Count > 0 && !when.EntryPages.Any(p => GlobMatches(p, facts.EntryPage))) return false;
        if (when.Languages.Count > 0 && !when.Languages.Any(l => LanguageMatches(l, facts.Language))) return false;
        if (when.CustomerTiers.Count > 0 &&
            !when.CustomerTiers.Any(t => string.Equals(t, facts.CustomerTier, StringComparison.OrdinalIgnoreCase))) return false;
        if (when.Keywords.Count > 0)
        {
            foldedMessage ??= Fold(facts.FirstMessage);
            var message = foldedMessage;
            if (!when.Keywords.Any(k => k.Length > 0 && message.Contains(Fold(k), StringComparison.Ordinal))) return false;
        }
        return true;
    }

    /// <summary>
    /// Folded as sensitive words are (<see cref="TextFolding"/>): full-width forms become ASCII, case is folded and
    /// separators are dropped, so "ＲＥＦＵＮＤ" and "re-fund" find "refund", and "退 款" finds "退款".
    /// </summary>
    public static string Fold(string text) => TextFolding.FoldAndStrip(text);

    private static bool LanguageMatches(string wanted, string language)
    {
        if (!language.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)) return false;
        return language.Length == wanted.Length || language[wanted.Length] is '-' or '_';
    }

    /// <summary>'*' matches any run of characters (also none); everything else literally, ignoring case.</summary>
    public static bool GlobMatches(string pattern, string text)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1) return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
        if (!text.StartsWith(parts[0], StringComparison.OrdinalIgnoreCase)) return false;
        int at = parts[0].Length;
        for (int i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0) continue;
            int found = Compare.IndexOf(text, parts[i], at, CompareOptions.OrdinalIgnoreCase);
            if (found < 0) return false;
            at = found + parts[i].Length;
        }
        var last = parts[^1];
        return text.Length - at >= last.Length && text.EndsWith(last, StringComparison.OrdinalIgnoreCase);
    }
}
