using System.Collections.Concurrent;
using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;

namespace CustomerService.Routing.Tests;

/// <summary>
/// Two replicas (own connections) and many callers doing everything at once: conversations arriving, ending and
/// being transferred while agents come and go. Afterwards Redis must still keep every routing invariant.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ChurnTests(RedisFixture redis)
{
    private static readonly Dictionary<string, (int Capacity, string[] Groups)> Agents = new()
    {
        ["a1"] = (2, ["g1"]),
        ["a2"] = (3, ["g1", "g2"]),
        ["a3"] = (4, ["g2"]),
        ["a4"] = (2, ["g1", "g2"]),
        ["a5"] = (3, ["g2"]),
    };
    private static readonly string[] Groups = ["g1", "g2"];

    [Fact]
    public async Task Routing_invariants_hold_after_concurrent_arrivals_endings_transfers_and_presence_changes()
    {
        var tenant = RedisFixture.NewTenant();
        Desk[] replicas =
        [
            new(redis.NewDispatcher(connection: await redis.ConnectAsync()), redis.Db, tenant),
            new(redis.NewDispatcher(connection: await redis.ConnectAsync()), redis.Db, tenant),
        ];
        var enqueued = new ConcurrentDictionary<string, bool>();
        var released = new ConcurrentDictionary<string, bool>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (int op = 0; op < 150; op++)
            {
                var desk = replicas[random.Next(2)];
                var known = enqueued.Keys.ToArray();
                var agent = $"a{random.Next(1, 6)}";
                try
                {
                    switch (random.Next(10))
                    {
                        case < 5:
                            var id = $"w{worker}-{op}";
                            enqueued[id] = true;
                            await desk.EnqueueAsync(id, Groups[random.Next(2)], visitor: $"v{random.Next(20)}",
                                band: random.Next(4) == 0 ? QueueBand.Priority : QueueBand.Normal);
                            break;
                        case 5 or 6 when known.Length > 0:
                            var ending = known[random.Next(known.Length)];
                            await desk.ReleaseAsync(ending);
                            released[ending] = true;
                            break;
                        case 7 when known.Length > 0:
                            var moving = known[random.Next(known.Length)];
                            if (random.Next(2) == 0) await desk.TransferToAgentAsync(moving, agent);
                            else await desk.TransferToGroupAsync(moving, Groups[random.Next(2)]);
                            break;
                        default:
                            var (capacity, groups) = Agents[agent];
                            await (random.Next(3) switch
                            {
                                0 => desk.OnlineAsync(agent, capacity, groups),
                                1 => desk.AwayAsync(agent),
                                _ => random.Next(3) == 0 ? desk.OfflineAsync(agent) : desk.OnlineAsync(agent, capacity, groups),
                            });
                            break;
                    }
                }
                catch (RoutingRefusal)
                {
                    // Expected under churn: released twice, transfer to a busy agent or of a waiting conversation.
                }
            }
        })));

        var open = enqueued.Keys.Except(released.Keys).ToHashSet();
        Assert.NotEmpty(open);
        await AssertInvariantsAsync(replicas[0], open);
    }

    private async Task AssertInvariantsAsync(Desk desk, HashSet<string> open)
    {
        var prefix = Dispatcher.KeyPrefix(desk.Tenant);
        var held = new Dictionary<string, string>();
        var free = new Dictionary<string, HashSet<string>> { ["g1"] = [], ["g2"] = [] };
        foreach (var (agent, (capacity, groups)) in Agents)
        {
            var status = (string?)await redis.Db.HashGetAsync(prefix + $"agent:{agent}", "status");
            var mine = await desk.ConversationsOfAsync(agent);
            Assert.True(mine.Length <= capacity, $"{agent} holds {mine.Length} of {capacity}");
            if (status == "offline") Assert.Empty(mine);
            foreach (var c in mine) Assert.True(held.TryAdd(c, agent), $"{c} is held by {held.GetValueOrDefault(c)} and {agent}");
            if (status == "online" && mine.Length < capacity) foreach (var g in groups) free[g].Add(agent);
        }

        var queued = new List<string>();
        foreach (var g in Groups)
        {
            var queue = await desk.QueueAsync(g);
            var freeInRedis = (await redis.Db.SortedSetRangeByRankAsync(prefix + $"group:{g}:free")).Select(v => v.ToString()).ToHashSet();
            Assert.Equal(free[g].Order(), freeInRedis.Order());
            Assert.True(queue.Length == 0 || free[g].Count == 0, $"{g} has waiting conversations and free agents {string.Join(",", free[g])}");
            queued.AddRange(queue);
            for (int i = 0; i < queue.Length; i++)
            {
                var d = await desk.FindAsync(queue[i]);
                Assert.Equal((false, g, i + 1), (d.Assigned, d.SkillGroup, d.QueuePosition));
            }
        }

        Assert.Equal(queued.Count, queued.Distinct().Count());
        Assert.Empty(queued.Intersect(held.Keys));
        Assert.Equal(open.Order(), held.Keys.Concat(queued).Order());
        foreach (var (c, agent) in held) Assert.Equal(agent, (await desk.FindAsync(c)).AgentId);
    }
}
