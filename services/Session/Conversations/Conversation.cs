namespace CustomerService.Session.Conversations;

/// <summary>A conversation's hot state as kept in Redis.</summary>
public sealed record Conversation(
    string Tenant,
    string Id,
    string State,
    string VisitorId,
    string? VisitorName,
    string? AgentId,
    string? AgentName,
    string? SkillGroup,
    long LastSeq,
    long CreatedAtUnixMs,
    string? EntryPage,
    string? Language);
