using CustomerService.Contracts;

namespace CustomerService.Routing.Tests;

/// <summary>
/// Two Routing replicas, each with its own Redis connection, serve the same tenant at once: no conversation may
/// be assigned twice, no agent overfilled, and every conversation must be assigned or queued exactly once.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ReplicaRaceTests(RedisFixture redis) : IAsyncLifetime
{
    private static readonly Dictionary<string, int> Capacities = new() { ["a1"] = 5, ["a2"] = 7, ["a3"] = 3, ["a4"] = 10 };
    private readonly string _tenant = RedisFixture.NewTenant();
    private RoutingHost[] _replicas = [];

    public async Task InitializeAsync() =>
        _replicas = [await RoutingHost.StartAsync(await redis.ConnectAsync()), await RoutingHost.StartAsync(await redis.ConnectAsync())];

    public async Task DisposeAsync()
    {
        foreach (var r in _replicas) await r.DisposeAsync();
    }

    private Contracts.Routing.RoutingClient Replica(int i) => _replicas[i % 2].Client;

    [Fact]
    public async Task Racing_replicas_never_assign_a_conversation_twice_nor_overfill_an_agent()
    {
        const int conversations = 400;
        var conversationIds = Enumerable.Range(0, conversations).Select(i => $"c{i}").ToArray();
        var desk = new Desk(redis.NewDispatcher(), redis.Db, _tenant);

        // Phase 1: every conversation enqueued on both replicas at once while the agents come online.
        var enqueues = conversationIds.SelectMany((c, i) => new[] { Enqueue(i, c), Enqueue(i + 1, c) }).ToList();
        var onlines = Capacities.Select((a, i) => Replica(i).SetPresenceAsync(new SetPresenceRequest
        {
            TenantId = _tenant, AgentId = a.Key, Status = AgentStatus.Online, Capacity = a.Value, SkillGroups = { "support" },
        }).ResponseAsync).ToList();
        await Task.WhenAll(Task.WhenAll(enqueues), Task.WhenAll(onlines));

        var assignments = enqueues.Select(t => t.Result).Where(d => d.Assigned)
            .Concat(onlines.SelectMany(t => t.Result.Assigned))
            .GroupBy(d => d.ConversationId).ToDictionary(g => g.Key, g => g.Select(d => d.AgentId).Distinct().ToList());
        Assert.All(assignments, a => Assert.Single(a.Value));
        Assert.Equal(Capacities.Values.Sum(), assignments.Count);
        await AssertConsistentAsync(desk, conversationIds, expectedAssigned: Capacities.Values.Sum());

        // Phase 2: every assigned conversation ends while new conversations arrive, again across both replicas.
        var more = Enumerable.Range(conversations, 100).Select(i => $"c{i}").ToArray();
        var releases = assignments.Select((a, i) => Replica(i).ReleaseAsync(new ReleaseRequest
        {
            TenantId = _tenant, ConversationId = a.Key, AgentId = a.Value[0],
        }).ResponseAsync).ToList();
        var newcomers = more.Select((c, i) => Enqueue(i, c)).ToList();
        await Task.WhenAll(Task.WhenAll(releases), Task.WhenAll(newcomers));

        var reassigned = releases.SelectMany(t => t.Result.Assigned).Concat(newcomers.Select(t => t.Result).Where(d => d.Assigned)).ToList();
        Assert.Equal(reassigned.Count, reassigned.Select(d => d.ConversationId).Distinct().Count());
        Assert.DoesNotContain(reassigned, d => assignments.ContainsKey(d.ConversationId));
        var remaining = conversationIds.Concat(more).Where(c => !assignments.ContainsKey(c)).ToArray();
        await AssertConsistentAsync(desk, remaining, expectedAssigned: Capacities.Values.Sum());
    }

    private Task<RoutingDecision> Enqueue(int replica, string conversation) =>
        Replica(replica).EnqueueAsync(new EnqueueRequest
        {
            TenantId = _tenant, ConversationId = conversation, VisitorId = "v-" + conversation, SkillGroup = "support",
        }).ResponseAsync;

    /// <summary>Redis agrees with itself: each agent within capacity, each conversation with one agent or one place in the queue.</summary>
    private static async Task AssertConsistentAsync(Desk desk, string[] conversations, int expectedAssigned)
    {
        var held = new Dictionary<string, string>();
        foreach (var (agent, capacity) in Capacities)
        {
            var mine = await desk.ConversationsOfAsync(agent);
            Assert.True(mine.Length <= capacity, $"{agent} holds {mine.Length} of {capacity}");
            foreach (var c in mine) Assert.True(held.TryAdd(c, agent), $"{c} is held by {held.GetValueOrDefault(c)} and {agent}");
        }
        Assert.Equal(expectedAssigned, held.Count);

        var queue = await desk.QueueAsync("support");
        Assert.Equal(queue.Length, queue.Distinct().Count());
        Assert.Empty(queue.Intersect(held.Keys));
        Assert.Equal(conversations.Order(), held.Keys.Concat(queue).Order());

        var positions = new List<int>();
        foreach (var c in conversations)
        {
            var d = await desk.FindAsync(c);
            if (d.Assigned) Assert.Equal(held[c], d.AgentId);
            else positions.Add(d.QueuePosition);
        }
        Assert.Equal(Enumerable.Range(1, queue.Length), positions.Order());
    }
}
