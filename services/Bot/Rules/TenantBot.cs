using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Text;

namespace CustomerService.Bot.Rules;

/// <summary>
/// A tenant's knowledge compiled for answering: rules in order with their regular expressions built, the opening
/// schedule in the tenant's time zone, the handoff-request matcher and the fixed replies, defaults filled in.
/// </summary>
internal sealed class TenantBot
{
    private readonly Dictionary<string, BotReply> _canned;
    private readonly LocalizedReply _welcome;
    private readonly LocalizedReply _offHours;
    private readonly LocalizedReply _handoffNotice;
    private readonly LocalizedReply _fallback;

    private TenantBot(TenantKnowledge source)
    {
        var settings = source.Settings;
        Source = source;
        Rules = new RuleSet(source.Rules, settings.CannedAnswers, settings.RegexTimeout);
        Hours = new OpeningSchedule(settings.BusinessHours);
        HandoffRequests = new KeywordMatcher(settings.HandoffPhrases ?? HandoffPhrases.Default, settings.HandoffExclusions ?? HandoffPhrases.DefaultExclusions);
        _canned = settings.CannedAnswers.ToDictionary(
            c => c.Key, c => new BotReply(ReplyKind.Canned, c.Value.Text, c.Value.QuickReplies, "canned", c.Key), StringComparer.Ordinal);
        _welcome = new LocalizedReply(ReplyKind.Welcome, settings.Welcome, DefaultReplies.Welcome);
        _offHours = new LocalizedReply(ReplyKind.OffHours, settings.OffHours, DefaultReplies.OffHours);
        _handoffNotice = new LocalizedReply(ReplyKind.HandoffNotice, settings.HandoffNotice, DefaultReplies.HandoffNotice);
        _fallback = new LocalizedReply(ReplyKind.Fallback, settings.Fallback, DefaultReplies.Fallback);
    }

    public TenantKnowledge Source { get; }
    public BotSettings Settings => Source.Settings;
    public RuleSet Rules { get; }
    public OpeningSchedule Hours { get; }
    public KeywordMatcher HandoffRequests { get; }

    /// <exception cref="InvalidBotKnowledgeException">The knowledge has errors.</exception>
    public static TenantBot Compile(string tenantId, TenantKnowledge knowledge)
    {
        var errors = BotKnowledgeValidator.Validate(knowledge);
        if (errors.Count > 0) throw new InvalidBotKnowledgeException(tenantId, errors);
        return new TenantBot(knowledge);
    }

    public BotReply? Welcome(string language) => _welcome.For(language);
    public BotReply? OffHours(string language) => _offHours.For(language);
    public BotReply? HandoffNotice(string language) => _handoffNotice.For(language);
    public BotReply? Fallback(string language) => _fallback.For(language);

    /// <summary>The canned answer a quick-reply payload "canned:{id}" asks for, if it is one.</summary>
    public BotReply? CannedFor(string text) =>
        text.StartsWith(CannedPayloadPrefix, StringComparison.Ordinal) && _canned.TryGetValue(text[CannedPayloadPrefix.Length..].Trim(), out var reply)
            ? reply
            : null;

    public const string CannedPayloadPrefix = "canned:";

    /// <summary>The tenant's own text when set (none when set empty), else the default in the customer's language.</summary>
    private sealed class LocalizedReply
    {
        private readonly BotReply? _configured;
        private readonly BotReply _chinese;
        private readonly BotReply _english;
        private readonly bool _useConfigured;

        public LocalizedReply(ReplyKind kind, BotAnswer? configured, (string Chinese, string English) defaults)
        {
            var source = kind.ToString().ToLowerInvariant();
            _useConfigured = configured is not null;
            _configured = configured is { Text.Length: > 0 } ? new BotReply(kind, configured.Text, configured.QuickReplies, source) : null;
            _chinese = new BotReply(kind, defaults.Chinese, [], source);
            _english = new BotReply(kind, defaults.English, [], source);
        }

        public BotReply? For(string language) =>
            _useConfigured ? _configured : language.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? _english : _chinese;
    }
}

/// <summary>How customers ask for a person, in Chinese and English.</summary>
public static class HandoffPhrases
{
    public static IReadOnlyList<string> Default { get; } =
    [
        "转人工", "人工", "人工客服", "人工服务", "真人", "客服人员", "找客服",
        "human", "agent", "real person", "live person", "live agent", "representative", "operator",
        "talk to someone", "speak to someone", "talk to a person", "speak to a person",
    ];

    /// <summary>Words that contain a handoff phrase but ask for no one.</summary>
    public static IReadOnlyList<string> DefaultExclusions { get; } = ["人工智能", "user agent"];
}

internal static class DefaultReplies
{
    public static readonly (string, string) Welcome = (
        "您好，我是智能客服，请问有什么可以帮您？如需人工服务，请回复“人工”。",
        "Hello, I'm the virtual assistant. How can I help you? Type \"agent\" to talk to a person.");

    public static readonly (string, string) OffHours = (
        "您好，现在是非工作时间，人工客服暂时无法接待。常见问题我可以帮您解答，其他问题请留言，我们上班后会尽快回复。",
        "Our agents are offline right now. I can help with common questions; for anything else, leave a message and we'll reply as soon as we're open.");

    public static readonly (string, string) HandoffNotice = (
        "正在为您转接人工客服，请稍候……",
        "Connecting you to a person, one moment please…");

    public static readonly (string, string) Fallback = (
        "抱歉，我没有理解您的问题，能换个说法吗？也可以回复“人工”转接人工客服。",
        "Sorry, I didn't quite get that. Could you put it another way? You can also type \"agent\" to talk to a person.");
}
