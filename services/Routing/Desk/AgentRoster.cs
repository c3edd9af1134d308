using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.Routing.Dispatch;

namespace CustomerService.Routing.Desk;

/// <summary>
/// Who a tenant's people are and whether they are there: the active accounts of the tenant's agent directory
/// (Admin's <c>agents</c> section of live configuration) with their presence in Routing. What the console needs to
/// pick someone to transfer to; no capacity, load or login.
/// </summary>
public sealed class AgentRoster(Dispatcher dispatcher, ILiveConfig? config = null)
{
    public async Task<ListAgentsReply> ListAsync(string tenant, CancellationToken cancellationToken)
    {
        var directory = config?.Current.FindOwn<AgentDirectory>(tenant);
        if (directory is null) return new ListAgentsReply { HasDirectory = false };
        var people = directory.Agents.Where(a => a.Active && RoutingId.IsValid(a.Id))
            .OrderBy(a => a.DisplayName, StringComparer.CurrentCultureIgnoreCase).ThenBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
        var presence = await dispatcher.PresenceAsync(tenant, [.. people.Select(a => a.Id)], cancellationToken);
        var reply = new ListAgentsReply { HasDirectory = true };
        for (var i = 0; i < people.Count; i++)
            reply.Agents.Add(new RosterAgent
            {
                AgentId = people[i].Id,
                DisplayName = people[i].DisplayName,
                Role = people[i].Role,
                SkillGroups = { people[i].SkillGroups },
                Status = presence[i].Status,
                Accepting = presence[i].Accepting,
            });
        return reply;
    }

    /// <summary>The skill groups the directory gives the agent (empty: none configured, or no directory).</summary>
    public IReadOnlyList<string> ConfiguredGroups(string tenant, string agent) =>
        config?.Current.FindOwn<AgentDirectory>(tenant)?.Find(agent)?.SkillGroups ?? [];
}
