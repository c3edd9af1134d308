using CustomerService.Bot.Knowledge;
using CustomerService.Contracts;

namespace CustomerService.Bot.Predictors;

/// <summary>
/// The AI step of the bot: suggests an answer to a customer's message when no rule matched. The default is
/// <see cref="FaqRetrievalPredictor"/>; a company plugs in its own model by implementing this interface and
/// registering it (<see cref="PredictorServiceCollectionExtensions.AddReplyPredictor{TPredictor}"/>). The engine
/// decides what to do with the confidence (answer, or hand off below the tenant's threshold).
/// </summary>
public interface IReplyPredictor
{
    ValueTask<Prediction> PredictAsync(PredictionRequest request, CancellationToken cancellationToken);
}

/// <summary>What a predictor gets: the customer's message and the context the bot loaded for it.</summary>
public sealed class PredictionRequest
{
    public required string TenantId { get; init; }
    public required ChatMessage Message { get; init; }
    public string Text => Message.Text;
    public string ConversationId => Message.ConversationId;
    /// <summary>The customer's language as the widget reported it (e.g. zh-CN, en); may be empty.</summary>
    public string Language { get; init; } = "";
    /// <summary>The conversation's latest messages, oldest first (up to five; may include <see cref="Message"/> itself).</summary>
    public IReadOnlyList<ChatMessage> RecentMessages { get; init; } = [];
    /// <summary>The customer's profile and orders, when Session has loaded them.</summary>
    public CustomerContext? Customer { get; init; }
    /// <summary>The tenant's FAQ as currently configured.</summary>
    public IReadOnlyList<FaqEntry> Faq { get; init; } = [];
}

public enum PredictionOutcome
{
    /// <summary>Nothing the predictor knows relates to the message (small talk, another topic).</summary>
    Declined,
    /// <summary>A suggested answer, with a confidence in [0, 1].</summary>
    Answered,
    /// <summary>The predictor could not be asked (model down, circuit open) and nothing could stand in for it.</summary>
    Unavailable,
}

/// <param name="Source">The predictor's short name (faq, openai), for metrics and message metadata.</param>
/// <param name="Reference">What the answer came from, e.g. the FAQ entry id; may be empty.</param>
public readonly record struct Prediction(
    PredictionOutcome Outcome, string? Answer, double Confidence, IReadOnlyList<QuickReplyButton> QuickReplies, string Source, string Reference)
{
    public static Prediction Answered(string answer, double confidence, string source, string reference = "", IReadOnlyList<QuickReplyButton>? quickReplies = null) =>
        new(PredictionOutcome.Answered, answer, Math.Clamp(confidence, 0, 1), quickReplies ?? [], source, reference);

    public static Prediction Declined(string source) => new(PredictionOutcome.Declined, null, 0, [], source, "");

    public static Prediction Unavailable(string source) => new(PredictionOutcome.Unavailable, null, 0, [], source, "");
}
