namespace CustomerService.Routing.Rules;

/// <summary>What routing rules may look at when a conversation arrives.</summary>
public sealed record ConversationFacts(string EntryPage, string Language, string CustomerTier, string FirstMessage);
