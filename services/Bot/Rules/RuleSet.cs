using System.Text.RegularExpressions;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Text;

namespace CustomerService.Bot.Rules;

/// <summary>A customer message in the forms rules look at; the phrase form is made only if a phrase rule asks.</summary>
internal sealed class RuleInput(string text)
{
    private string? _phraseKey;

    public string Text { get; } = text;
    public string Normalized { get; } = MessageText.Normalize(text);
    public string PhraseKey => _phraseKey ??= MessageText.PhraseKey(Normalized);
}

/// <summary>A tenant's enabled rules in priority order (lower first, then as listed); the first that matches answers.</summary>
internal sealed partial class RuleSet
{
    private readonly CompiledRule[] _rules;

    public RuleSet(IReadOnlyList<BotRule> rules, IReadOnlyDictionary<string, BotAnswer> cannedAnswers, TimeSpan regexTimeout)
    {
        _rules = rules
            .Select((rule, order) => (rule, order))
            .Where(r => r.rule.Enabled)
            .OrderBy(r => r.rule.Priority).ThenBy(r => r.order)
            .Select(r => Compile(r.rule, cannedAnswers, regexTimeout))
            .ToArray();
    }

    public int Count => _rules.Length;

    public BotReply? Match(RuleInput input, ILogger logger)
    {
        foreach (var rule in _rules)
        {
            try
            {
                if (rule.Matches(input)) return rule.Reply;
            }
            catch (RegexMatchTimeoutException)
            {
                // A pattern that backtracks without end on this text is skipped, not allowed to stall the bot.
                LogRegexTimeout(logger, rule.Reply.Reference);
            }
        }
        return null;
    }

    private static CompiledRule Compile(BotRule rule, IReadOnlyDictionary<string, BotAnswer> cannedAnswers, TimeSpan regexTimeout)
    {
        var answer = rule.Answer ?? cannedAnswers[rule.CannedAnswer!];
        var reply = new BotReply(ReplyKind.Rule, answer.Text, answer.QuickReplies, "rule", rule.Id);
        var patterns = rule.Patterns.Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        return rule.Kind switch
        {
            RuleKind.Keyword => new KeywordRule(reply, new KeywordMatcher(patterns)),
            RuleKind.Phrase => new PhraseRule(reply, patterns.Select(p => MessageText.PhraseKey(MessageText.Normalize(p))).ToHashSet(StringComparer.Ordinal)),
            RuleKind.Regex => new RegexRule(reply, patterns.Select(p => Warm(new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, regexTimeout))).ToArray()),
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Kind, "unknown rule kind"),
        };
    }

    // The first match pays for compiling the matcher; paying it here keeps it out of the first customer's timeout.
    private static Regex Warm(Regex regex)
    {
        try { regex.IsMatch("warm-up 预热"); }
        catch (RegexMatchTimeoutException) { }
        return regex;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Regular expression of rule {RuleId} timed out and was skipped")]
    private static partial void LogRegexTimeout(ILogger logger, string ruleId);

    private abstract class CompiledRule(BotReply reply)
    {
        public BotReply Reply { get; } = reply;
        public abstract bool Matches(RuleInput input);
    }

    private sealed class KeywordRule(BotReply reply, KeywordMatcher keywords) : CompiledRule(reply)
    {
        public override bool Matches(RuleInput input) => keywords.Matches(input.Normalized);
    }

    private sealed class PhraseRule(BotReply reply, HashSet<string> phrases) : CompiledRule(reply)
    {
        public override bool Matches(RuleInput input) => phrases.Contains(input.PhraseKey);
    }

    private sealed class RegexRule(BotReply reply, Regex[] expressions) : CompiledRule(reply)
    {
        public override bool Matches(RuleInput input)
        {
            foreach (var expression in expressions)
            {
                if (expression.IsMatch(input.Text)) return true;
            }
            return false;
        }
    }
}
