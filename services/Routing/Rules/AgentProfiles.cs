using CustomerService.LiveConfig;

namespace CustomerService.Routing.Rules;

/// <summary>What Routing lets an agent going online or away hold: skill groups and capacity, or why not.</summary>
public sealed record AgentProfile(IReadOnlyList<string> SkillGroups, int Capacity, string? Refusal = null);

/// <summary>
/// An agent's skill groups and capacity as the Admin API configures them (the tenant's <c>agents</c> section of live
/// configuration, published by Admin from its accounts), rather than as the caller of SetPresence says. A tenant
/// with a directory decides: its agents take their configured groups and capacity (no capacity configured: the
/// tenant's <c>routing_rules.default_agent_capacity</c>; no groups configured: the request's), and an account that
/// is not in it or is deactivated may not go online. A tenant without a directory (or a Routing without live configuration) takes the request's values.
/// </summary>
public sealed class AgentProfiles(ILiveConfig? config, IRoutingRules rules)
{
    public AgentProfile Resolve(string tenant, string agentId, IReadOnlyList<string> requestedGroups, int requestedCapacity)
    {
        var directory = config?.Current.FindOwn<AgentDirectory>(tenant);
        if (directory is null) return new AgentProfile(requestedGroups, requestedCapacity);
        var agent = directory.Find(agentId);
        if (agent is null) return new AgentProfile(requestedGroups, requestedCapacity, $"agent {agentId} is not an account of tenant {tenant}");
        if (!agent.Active) return new AgentProfile(requestedGroups, requestedCapacity, $"agent {agentId} ({agent.Login}) is deactivated");
        var capacity = agent.Capacity ?? (rules as LiveRoutingRules)?.DefaultAgentCapacity(tenant) ?? requestedCapacity;
        // An account without skill groups (an admin, typically) takes those of the request, as before directories.
        return new AgentProfile(agent.SkillGroups.Count > 0 ? agent.SkillGroups : requestedGroups, capacity);
    }
}
