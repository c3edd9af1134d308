using CustomerService.Bot.Conversations;
using CustomerService.Contracts;

namespace CustomerService.Bot;

/// <summary>A customer's message with the context the bot loaded for it.</summary>
public sealed class BotTurn
{
    public required string TenantId { get; init; }
    public required ChatMessage Message { get; init; }
    /// <summary>The message opens a bot-first conversation: greet first.</summary>
    public bool ConversationStarted { get; init; }
    public string Language { get; init; } = "";
    /// <summary>
    /// The conversation's latest messages and the customer's profile, still loading when the turn starts: only the
    /// predictor waits for them, so a rule's answer does not pay for the round trip.
    /// </summary>
    public Task<ConversationContext> Context { get; init; } = Task.FromResult(ConversationContext.None);
}
