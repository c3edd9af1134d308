using CustomerService.Bot.Knowledge;

namespace CustomerService.Bot;

public enum ReplyKind
{
    Welcome,
    OffHours,
    Rule,
    Canned,
    Model,
    Fallback,
    HandoffNotice,
}

/// <summary>One message the bot sends.</summary>
/// <param name="Source">What produced it: the rule engine ("rule"), a predictor's name ("faq", "openai"), or the kind.</param>
/// <param name="Reference">Which rule, canned answer or FAQ entry; empty when none.</param>
public sealed record BotReply(ReplyKind Kind, string Text, IReadOnlyList<QuickReplyButton> QuickReplies, string Source, string Reference = "", double? Confidence = null);

/// <summary>Handing the conversation to a human: Session queues it for Routing.</summary>
public sealed record Handoff(string Reason, string SkillGroup);

public static class HandoffReasons
{
    public const string Requested = "requested";
    public const string LowConfidence = "low_confidence";
    public const string Turns = "turns";
}

/// <summary>What the bot does with one customer message: replies to send in order, then perhaps a handoff.</summary>
public sealed record BotDecision(string BotName, IReadOnlyList<BotReply> Replies, Handoff? Handoff);
