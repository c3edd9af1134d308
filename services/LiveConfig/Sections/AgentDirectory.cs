namespace CustomerService.LiveConfig;

/// <summary>
/// Section <c>agents</c>: a tenant's skill groups and the people who take conversations, with their skill groups,
/// capacity and role. Not written through the configuration API: Admin publishes it from its agent and skill-group
/// tables (<c>/api/admin/agents</c>, <c>/api/admin/skill-groups</c>) in the same transaction as each change, so it
/// streams to Routing like every other section. Per tenant only: there is no platform directory.
/// </summary>
public sealed record AgentDirectory : IConfigSection<AgentDirectory>
{
    public static string SectionName => ConfigSections.Agents;
    public static AgentDirectory Empty { get; } = new();

    public IReadOnlyList<SkillGroup> SkillGroups { get; set; } = [];
    public IReadOnlyList<AgentEntry> Agents { get; set; } = [];

    /// <summary>The agent with this id (the account id, the JWT's subject), if the directory lists it.</summary>
    public AgentEntry? Find(string agentId)
    {
        foreach (var agent in Agents) if (agent.Id == agentId) return agent;
        return null;
    }

    public void Validate(ValidationErrors errors)
    {
        errors.MaxCount("skill_groups", SkillGroups, 1000);
        errors.Unique(SkillGroups, g => g.Name, "skill_groups", "name");
        for (var i = 0; i < SkillGroups.Count; i++) errors.Required($"skill_groups[{i}].name", SkillGroups[i].Name, 64);
        errors.MaxCount("agents", Agents, 100_000);
        errors.Unique(Agents, a => a.Id, "agents", "id");
        for (var i = 0; i < Agents.Count; i++)
        {
            var agent = Agents[i];
            errors.Required($"agents[{i}].id", agent.Id, 128);
            if (agent.Capacity is { } capacity) errors.Range($"agents[{i}].capacity", capacity, 1, 1000);
            for (var g = 0; g < agent.SkillGroups.Count; g++) errors.Required($"agents[{i}].skill_groups[{g}]", agent.SkillGroups[g], 64);
        }
    }
}

public sealed record SkillGroup
{
    public string Name { get; set; } = "";
    public string? DisplayName { get; set; }
    public string? Description { get; set; }
}

public sealed record AgentEntry
{
    /// <summary>The account id: what the agent's token carries as subject and Session passes to Routing as agent_id.</summary>
    public string Id { get; set; } = "";
    public string Login { get; set; } = "";
    public string DisplayName { get; set; } = "";
    /// <summary>admin, supervisor or agent.</summary>
    public string Role { get; set; } = "agent";
    public IReadOnlyList<string> SkillGroups { get; set; } = [];
    /// <summary>Conversations held at once; null: the tenant's routing_rules.default_agent_capacity.</summary>
    public int? Capacity { get; set; }
    /// <summary>A deactivated account may not take conversations.</summary>
    public bool Active { get; set; } = true;
}
