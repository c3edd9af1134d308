using System.Collections.Concurrent;
using System.Globalization;
using CustomerService.LiveConfig;
using Live = CustomerService.LiveConfig;

namespace CustomerService.Bot.Knowledge;

/// <summary>
/// The bot's knowledge from live configuration: a tenant's <c>bot_rules</c>, <c>faq</c> and <c>tenant_settings</c>
/// documents (its own, else the platform's), translated into a <see cref="TenantKnowledge"/> when one of them
/// changes and announced through <see cref="Changed"/>, so the engine and the FAQ index rebuild before the next
/// message. A tenant that has none of the three documents keeps the knowledge of configuration (Bot:Tenants, through
/// <see cref="BotKnowledgeStore"/>). A translation that does not validate is refused: the tenant keeps its last good
/// knowledge.
/// </summary>
public sealed partial class LiveBotKnowledge : IBotKnowledge
{
    private readonly ILiveConfig _live;
    private readonly BotKnowledgeStore _configured;
    private readonly ILogger<LiveBotKnowledge> _logger;
    private readonly ConcurrentDictionary<string, Translation> _tenants = new(StringComparer.Ordinal);

    public LiveBotKnowledge(ILiveConfig live, BotKnowledgeStore configured, ILogger<LiveBotKnowledge> logger)
    {
        _live = live;
        _configured = configured;
        _logger = logger;
        configured.Changed += tenant => Changed?.Invoke(tenant);
        live.Changed += OnLiveChanged;
    }

    public event Action<string>? Changed;

    public TenantKnowledge For(string tenantId)
    {
        var snapshot = _live.Current;
        var rules = Find<BotRules>(snapshot, tenantId);
        var faq = Find<Live.Faq>(snapshot, tenantId);
        var settings = Find<TenantSettings>(snapshot, tenantId);
        if (rules is null && faq is null && settings is null) return _configured.For(tenantId);

        _tenants.TryGetValue(tenantId, out var current);
        if (current is not null && ReferenceEquals(current.Rules, rules) && ReferenceEquals(current.Faq, faq) && ReferenceEquals(current.Settings, settings))
            return current.Knowledge;

        var knowledge = Translate(rules, faq, settings);
        // The same FAQ document keeps the same list, so the FAQ index is rebuilt only when the FAQ changed.
        if (current is not null && ReferenceEquals(current.Faq, faq)) knowledge = knowledge with { Faq = current.Knowledge.Faq };
        var errors = BotKnowledgeValidator.Validate(knowledge);
        if (errors.Count > 0)
        {
            LogRejected(tenantId, string.Join("; ", errors));
            knowledge = current?.Knowledge ?? _configured.For(tenantId);
        }
        _tenants[tenantId] = new Translation(rules, faq, settings, knowledge);
        return knowledge;
    }

    private void OnLiveChanged(LiveConfigChange change)
    {
        if (!(change.Affects(ConfigSections.BotRules) || change.Affects(ConfigSections.Faq) || change.Affects(ConfigSections.TenantSettings))) return;
        if (Changed is not { } changed) return;
        if (!change.IsReload && change.TenantId is { } tenant && tenant != LiveConfigSnapshot.PlatformTenant)
        {
            changed(tenant);
            return;
        }
        // A full reload or a platform document: every tenant the bot knows of may have changed.
        var tenants = new HashSet<string>(_tenants.Keys, StringComparer.Ordinal);
        foreach (var section in new[] { ConfigSections.BotRules, ConfigSections.Faq, ConfigSections.TenantSettings })
            tenants.UnionWith(change.Snapshot.TenantsWith(section));
        tenants.Remove(LiveConfigSnapshot.PlatformTenant);
        foreach (var t in tenants) changed(t);
    }

    private static T? Find<T>(LiveConfigSnapshot snapshot, string tenantId) where T : class, IConfigSection<T> =>
        snapshot.FindOwn<T>(tenantId) ?? snapshot.FindOwn<T>(LiveConfigSnapshot.PlatformTenant);

    /// <summary>
    /// The three documents in the bot's terms (docs/configuration.md, services/Bot/README.md). A document left out
    /// keeps the bot's defaults for its part.
    /// </summary>
    public static TenantKnowledge Translate(BotRules? rules, Live.Faq? faq, TenantSettings? settings)
    {
        var bot = new BotSettings();
        if (rules is not null)
            bot = bot with { Welcome = Answer(rules.WelcomeMessage), OffHours = Answer(rules.OffHoursAnswer) };
        if (settings is not null)
        {
            bot = bot with
            {
                BusinessHours = Hours(settings),
                ConfidenceThreshold = settings.Handoff.MinBotConfidence,
                MaxUnansweredTurns = settings.Handoff.MaxBotTurns,
                HandoffPhrases = settings.Handoff.Keywords,
            };
        }
        return new TenantKnowledge
        {
            Settings = bot,
            Rules = rules is null ? [] : rules.Rules.Select(Rule).ToArray(),
            Faq = faq is null ? [] : faq.Entries.Select(e => new FaqEntry { Id = e.Id, Question = e.Question, Answer = e.Answer }).ToArray(),
        };
    }

    private static BotAnswer? Answer(string? text) => text is null ? null : new BotAnswer { Text = text };

    private static BotRule Rule(Live.BotRule rule) => new()
    {
        Id = rule.Name,
        // bot_rules: higher priority first; the engine runs lower first.
        Priority = -rule.Priority,
        Kind = rule.Kind switch { BotMatchKind.Phrase => RuleKind.Phrase, BotMatchKind.Regex => RuleKind.Regex, _ => RuleKind.Keyword },
        Patterns = rule.Patterns,
        Answer = new BotAnswer
        {
            Text = rule.Answer,
            QuickReplies = rule.QuickReplies.Select(q => new QuickReplyButton { Title = q.Label, Payload = q.Text ?? q.Label }).ToArray(),
        },
    };

    /// <summary>No business_hours: open around the clock. Otherwise only the listed hours; a weekday left out is closed.</summary>
    private static BusinessHours Hours(TenantSettings settings)
    {
        if (settings.BusinessHours is not { } hours) return new BusinessHours { TimeZone = settings.TimeZone };
        var weekly = new List<OpeningHours>();
        foreach (var day in Enum.GetValues<DayOfWeek>())
            foreach (var range in hours.On(day))
                if (Live.BusinessHours.TryParseTime(range.Open, out var open) && Live.BusinessHours.TryParseTime(range.Close, out var close))
                    // 24:00 is midnight: a close at or before the open runs to (past) midnight.
                    weekly.Add(new OpeningHours { Days = [day], Open = TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(open)), Close = TimeOnly.FromTimeSpan(TimeSpan.FromMinutes(close % (24 * 60))) });
        var closed = hours.ClosedDates
            .Select(d => DateOnly.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : (DateOnly?)null)
            .OfType<DateOnly>().ToArray();
        return new BusinessHours { TimeZone = settings.TimeZone, Weekly = weekly, Closed = closed, OnlyWeekly = true };
    }

    private sealed record Translation(BotRules? Rules, Live.Faq? Faq, TenantSettings? Settings, TenantKnowledge Knowledge);

    [LoggerMessage(Level = LogLevel.Error, Message = "Live bot knowledge of {TenantId} rejected, the previous version stays: {Errors}")]
    private partial void LogRejected(string tenantId, string errors);
}
