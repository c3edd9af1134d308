using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;
using StackExchange.Redis;

namespace CustomerService.Routing.Tests;

/// <summary>One tenant's routing, driven through a <see cref="Dispatcher"/> in the words of the tests.</summary>
public sealed class Desk(Dispatcher dispatcher, IDatabase db, string? tenant = null)
{
    public string Tenant { get; } = tenant ?? RedisFixture.NewTenant();
    public Dispatcher Dispatcher => dispatcher;

    public Task<SetPresenceReply> OnlineAsync(string agent, int capacity, params string[] groups) =>
        dispatcher.SetPresenceAsync(Tenant, agent, AgentStatus.Online, groups, capacity, CancellationToken.None);

    public Task<SetPresenceReply> AwayAsync(string agent) =>
        dispatcher.SetPresenceAsync(Tenant, agent, AgentStatus.Away, [], 0, CancellationToken.None);

    public Task<SetPresenceReply> OfflineAsync(string agent) =>
        dispatcher.SetPresenceAsync(Tenant, agent, AgentStatus.Offline, [], 0, CancellationToken.None);

    public Task<RoutingDecision> EnqueueAsync(string conversation, string group, string visitor = "", QueueBand band = QueueBand.Normal) =>
        dispatcher.EnqueueAsync(Tenant, conversation, visitor, new Placement(group, band), CancellationToken.None);

    public Task<RoutingDecision> TransferToAgentAsync(string conversation, string toAgent, string fromAgent = "") =>
        dispatcher.TransferAsync(Tenant, conversation, fromAgent, toAgent, "", CancellationToken.None);

    public Task<RoutingDecision> TransferToGroupAsync(string conversation, string toGroup, string fromAgent = "") =>
        dispatcher.TransferAsync(Tenant, conversation, fromAgent, "", toGroup, CancellationToken.None);

    public Task<ReleaseReply> ReleaseAsync(string conversation, string agent = "") =>
        dispatcher.ReleaseAsync(Tenant, conversation, agent, CancellationToken.None);

    public async Task<int> PositionAsync(string conversation) =>
        (await dispatcher.FindAsync(Tenant, conversation, CancellationToken.None)).QueuePosition;

    public Task<RoutingDecision> FindAsync(string conversation) => dispatcher.FindAsync(Tenant, conversation, CancellationToken.None);

    /// <summary>The conversations Redis holds for the agent.</summary>
    public async Task<string[]> ConversationsOfAsync(string agent) =>
        [.. (await db.SetMembersAsync(Dispatcher.KeyPrefix(Tenant) + $"agent:{agent}:convs")).Select(v => v.ToString()).Order()];

    /// <summary>The queue of a skill group, front first.</summary>
    public async Task<string[]> QueueAsync(string group) =>
        [.. (await db.SortedSetRangeByRankAsync(Dispatcher.KeyPrefix(Tenant) + $"group:{group}:queue")).Select(v => v.ToString())];
}
