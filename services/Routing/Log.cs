using CustomerService.Contracts;

namespace CustomerService.Routing;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Conversation {Tenant}/{Conversation} in {SkillGroup}: agent '{Agent}', queue position {Position}")]
    public static partial void Decided(ILogger logger, string tenant, string conversation, string skillGroup, string agent, int position);

    [LoggerMessage(2, LogLevel.Information, "Agent {Tenant}/{Agent} is {Status}: {Assigned} assigned from the queues, {Requeued} conversations moved")]
    public static partial void PresenceSet(ILogger logger, string tenant, string agent, AgentStatus status, int assigned, int requeued);

    [LoggerMessage(3, LogLevel.Information, "Conversation {Tenant}/{Conversation} transferred to {SkillGroup}: agent '{Agent}', queue position {Position}")]
    public static partial void Transferred(ILogger logger, string tenant, string conversation, string skillGroup, string agent, int position);

    [LoggerMessage(4, LogLevel.Information, "Conversation {Tenant}/{Conversation} released: {Assigned} assigned from the queue")]
    public static partial void Released(ILogger logger, string tenant, string conversation, int assigned);

    [LoggerMessage(5, LogLevel.Information, "Conversation {Tenant}/{Conversation} overflowed to {SkillGroup}: agent '{Agent}', queue position {Position}")]
    public static partial void Overflowed(ILogger logger, string tenant, string conversation, string skillGroup, string agent, int position);

    [LoggerMessage(6, LogLevel.Warning, "Overflow sweep failed; retrying on the next tick")]
    public static partial void OverflowSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "Agent {Tenant}/{Agent} takes its configured skill groups {SkillGroups} and capacity {Capacity}")]
    public static partial void ConfiguredProfile(ILogger logger, string tenant, string agent, string skillGroups, int capacity);
}
