using System.Collections.Concurrent;
using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Predictors;
using CustomerService.Bot.Rules;

namespace CustomerService.Bot;

/// <summary>
/// Decides what the bot does with a customer's message, in this order: greet a conversation that opens (welcome,
/// or the off-hours answer); hand off when the customer asks for a person; answer a quick-reply button's canned
/// answer; answer by the first rule that matches; ask the predictor and answer when it is confident enough.
/// Otherwise a person takes over: at once when the predictor's candidate is below the tenant's threshold (or the
/// predictor cannot be reached), and after <see cref="BotSettings.MaxUnansweredTurns"/> turns in a row when the
/// predictor finds the messages unrelated (each such turn gets the fallback answer). Outside business hours nobody
/// can take a handoff, so the off-hours answer stands in for it.
/// </summary>
public sealed partial class BotEngine
{
    private readonly ConcurrentDictionary<string, CompiledKnowledge> _tenants = new(StringComparer.Ordinal);
    private readonly IBotKnowledge _knowledge;
    private readonly IReplyPredictor _predictor;
    private readonly IUnansweredTurns _turns;
    private readonly TimeProvider _time;
    private readonly ILogger<BotEngine> _logger;

    public BotEngine(IBotKnowledge knowledge, IReplyPredictor predictor, IUnansweredTurns turns, TimeProvider time, ILogger<BotEngine> logger)
    {
        _knowledge = knowledge;
        _predictor = predictor;
        _turns = turns;
        _time = time;
        _logger = logger;
        // Compile a tenant's new knowledge when it arrives rather than on its next customer's message.
        knowledge.Changed += tenantId => TenantFor(tenantId);
    }

    public async ValueTask<BotDecision> HandleAsync(BotTurn turn, CancellationToken cancellationToken)
    {
        var bot = TenantFor(turn.TenantId);
        var open = bot.Hours.IsOpen(_time.GetUtcNow());
        var replies = new List<BotReply>(2);
        if (turn.ConversationStarted && (open ? bot.Welcome(turn.Language) : bot.OffHours(turn.Language)) is { } greeting) replies.Add(greeting);

        var text = turn.Message.Text.Trim();
        if (text.Length == 0) return new BotDecision(bot.Settings.DisplayName, replies, null);

        var input = new RuleInput(text);
        if (bot.HandoffRequests.Matches(input.Normalized)) return HandOff(bot, turn, replies, open, HandoffReasons.Requested);

        if ((bot.CannedFor(text) ?? bot.Rules.Match(input, _logger)) is { } answer)
        {
            return Answer(bot, turn, replies, answer);
        }

        var context = await turn.Context;
        var prediction = await _predictor.PredictAsync(new PredictionRequest
        {
            TenantId = turn.TenantId,
            Message = turn.Message,
            Language = turn.Language,
            RecentMessages = context.RecentMessages,
            Customer = context.Customer,
            Faq = bot.Source.Faq,
        }, cancellationToken);

        switch (prediction.Outcome)
        {
            case PredictionOutcome.Answered when prediction.Confidence >= bot.Settings.ConfidenceThreshold:
                return Answer(bot, turn, replies, new BotReply(
                    ReplyKind.Model, prediction.Answer!, prediction.QuickReplies, prediction.Source, prediction.Reference, prediction.Confidence));
            case PredictionOutcome.Answered or PredictionOutcome.Unavailable:
                return HandOff(bot, turn, replies, open, HandoffReasons.LowConfidence);
            default:
                var unanswered = await _turns.IncrementAsync(turn.TenantId, turn.Message.ConversationId, cancellationToken);
                if (bot.Settings.MaxUnansweredTurns > 0 && unanswered >= bot.Settings.MaxUnansweredTurns)
                {
                    return HandOff(bot, turn, replies, open, HandoffReasons.Turns);
                }
                if (bot.Fallback(turn.Language) is { } fallback) replies.Add(fallback);
                return new BotDecision(bot.Settings.DisplayName, replies, null);
        }
    }

    private BotDecision Answer(TenantBot bot, BotTurn turn, List<BotReply> replies, BotReply answer)
    {
        _turns.Reset(turn.TenantId, turn.Message.ConversationId);
        replies.Add(answer);
        return new BotDecision(bot.Settings.DisplayName, replies, null);
    }

    private BotDecision HandOff(TenantBot bot, BotTurn turn, List<BotReply> replies, bool open, string reason)
    {
        _turns.Reset(turn.TenantId, turn.Message.ConversationId);
        if (!open)
        {
            if (!replies.Exists(r => r.Kind == ReplyKind.OffHours) && bot.OffHours(turn.Language) is { } offHours) replies.Add(offHours);
            return new BotDecision(bot.Settings.DisplayName, replies, null);
        }
        if (bot.HandoffNotice(turn.Language) is { } notice) replies.Add(notice);
        return new BotDecision(bot.Settings.DisplayName, replies, new Handoff(reason, bot.Settings.HandoffSkillGroup));
    }

    private TenantBot TenantFor(string tenantId)
    {
        var knowledge = _knowledge.For(tenantId);
        if (_tenants.TryGetValue(tenantId, out var current) && ReferenceEquals(current.Seen, knowledge)) return current.Bot;
        try
        {
            var bot = TenantBot.Compile(tenantId, knowledge);
            _tenants[tenantId] = new CompiledKnowledge(knowledge, bot);
            LogCompiled(_logger, tenantId, bot.Rules.Count, knowledge.Faq.Count);
            return bot;
        }
        catch (InvalidBotKnowledgeException ex)
        {
            // Only a knowledge source that skips validation gets here; keep answering from the last good version.
            LogInvalid(_logger, tenantId, string.Join("; ", ex.Errors));
            var inForce = current?.Bot ?? TenantBot.Compile(tenantId, TenantKnowledge.Empty);
            _tenants[tenantId] = new CompiledKnowledge(knowledge, inForce);
            return inForce;
        }
    }

    /// <summary>The bot in force for a tenant and the snapshot last seen for it (the same, unless that one was invalid).</summary>
    private sealed record CompiledKnowledge(TenantKnowledge Seen, TenantBot Bot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot of {TenantId} compiled: {Rules} rules, {FaqEntries} FAQ entries")]
    private static partial void LogCompiled(ILogger logger, string tenantId, int rules, int faqEntries);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bot knowledge of {TenantId} is invalid and was not applied: {Errors}")]
    private static partial void LogInvalid(ILogger logger, string tenantId, string errors);
}
