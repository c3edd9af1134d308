namespace CustomerService.Bot.Conversations;

/// <summary>
/// Counts a conversation's consecutive turns the bot could not answer. Kept outside the process (Redis) because
/// any replica of the bot may take a conversation's next message.
/// </summary>
public interface IUnansweredTurns
{
    /// <summary>Counts one more unanswered turn and returns the count.</summary>
    ValueTask<long> IncrementAsync(string tenantId, string conversationId, CancellationToken cancellationToken);

    /// <summary>Starts counting again (the bot answered, or handed off); does not wait for the store.</summary>
    void Reset(string tenantId, string conversationId);
}
