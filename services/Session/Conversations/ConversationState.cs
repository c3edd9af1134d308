using CustomerService.Contracts;

namespace CustomerService.Session.Conversations;

/// <summary>
/// The conversation state machine: new → (bot) → queued → assigned → active → (transferred) → ended.
/// Every transition the service makes is checked here and published as a ConversationEvent.
/// </summary>
public static class ConversationStates
{
    public const string New = "new";
    public const string Bot = "bot";
    public const string Queued = "queued";
    public const string Assigned = "assigned";
    public const string Active = "active";
    public const string Transferred = "transferred";
    public const string Ended = "ended";

    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [New] = [Bot, Queued, Assigned, Ended],
        [Bot] = [Queued, Assigned, Ended],
        [Queued] = [Assigned, Ended],
        [Assigned] = [Active, Transferred, Queued, Assigned, Ended],
        [Active] = [Transferred, Queued, Assigned, Ended],
        [Transferred] = [Assigned, Queued, Ended],
        [Ended] = [],
    };

    public static bool CanMove(string from, string to) => Allowed.TryGetValue(from, out var next) && next.Contains(to);

    /// <summary>Whether participants can still write.</summary>
    public static bool IsOpen(string state) => state != Ended;

    public static ConversationState ToContract(string state) => state switch
    {
        New => ConversationState.New,
        Bot => ConversationState.Bot,
        Queued => ConversationState.Queued,
        Assigned => ConversationState.Assigned,
        Active => ConversationState.Active,
        Transferred => ConversationState.Transferred,
        Ended => ConversationState.Ended,
        _ => ConversationState.Unspecified,
    };

    public static string FromContract(ConversationState state) => state switch
    {
        ConversationState.New => New,
        ConversationState.Bot => Bot,
        ConversationState.Queued => Queued,
        ConversationState.Assigned => Assigned,
        ConversationState.Active => Active,
        ConversationState.Transferred => Transferred,
        ConversationState.Ended => Ended,
        _ => New,
    };
}
