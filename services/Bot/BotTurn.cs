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
    /// <summary>The conversation's latest messages, oldest first.</summary>
    public IReadOnlyList<ChatMessage> RecentMessages { get; init; } = [];
    public CustomerContext? Customer { get; init; }
}
