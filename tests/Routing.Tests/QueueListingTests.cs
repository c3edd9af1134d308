using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using QueueBand = CustomerService.Routing.Dispatch.QueueBand;

namespace CustomerService.Routing.Tests;

/// <summary>ListQueue: the waiting conversations in the order agents get them, per tenant, per skill group.</summary>
[Collection(RedisCollection.Name)]
public sealed class QueueListingTests(RedisFixture redis)
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-03-01T09:00:00Z"));

    private Desk NewDesk(string? tenant = null) => new(redis.NewDispatcher(_time), redis.Db, tenant);

    private static Task<ListQueueReply> ListAsync(Desk desk, IReadOnlyCollection<string>? groups = null, string agent = "", int limit = 100) =>
        desk.Dispatcher.ListQueueAsync(desk.Tenant, groups, agent, limit, CancellationToken.None);

    [Fact]
    public async Task Lists_every_waiting_conversation_best_first_across_groups_with_positions_within_each_group()
    {
        var desk = NewDesk();
        await desk.EnqueueAsync("n1", "general");
        _time.Advance(TimeSpan.FromSeconds(10));
        await desk.EnqueueAsync("n2", "vip");
        _time.Advance(TimeSpan.FromSeconds(10));
        await desk.EnqueueAsync("p1", "general", band: QueueBand.Priority);
        _time.Advance(TimeSpan.FromSeconds(10));
        await desk.EnqueueAsync("n3", "general");
        // A conversation that had an agent comes back to the front (returning band).
        await desk.OnlineAsync("ann", 1, "vip");
        Assert.Equal("n2", Assert.Single((await desk.OfflineAsync("ann")).Requeued).ConversationId);

        var queue = await ListAsync(desk);

        Assert.Equal(["n2", "p1", "n1", "n3"], queue.Conversations.Select(c => c.ConversationId));
        Assert.Equal([WaitingBand.Returning, WaitingBand.Priority, WaitingBand.Normal, WaitingBand.Normal], queue.Conversations.Select(c => c.Band));
        Assert.Equal(["vip", "general", "general", "general"], queue.Conversations.Select(c => c.SkillGroup));
        // Positions are those the customers are shown: within their own group.
        Assert.Equal([1, 1, 2, 3], queue.Conversations.Select(c => c.Position));
        Assert.Equal(4, queue.Total);
        var start = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(start - 30_000, queue.Conversations[2].QueuedAtUnixMs);
        Assert.Equal(start, queue.Conversations[0].QueuedAtUnixMs); // waits again since it came back
        Assert.Equal(start - 20_000, queue.Conversations[0].CreatedAtUnixMs);
        foreach (var c in queue.Conversations)
            Assert.Equal(c.Position, await desk.PositionAsync(c.ConversationId));
    }

    [Fact]
    public async Task The_limit_keeps_the_best_and_the_total_counts_them_all()
    {
        var desk = NewDesk();
        for (var i = 0; i < 5; i++) await desk.EnqueueAsync($"g{i}", "general");
        for (var i = 0; i < 3; i++) await desk.EnqueueAsync($"v{i}", "vip", band: QueueBand.Priority);

        var queue = await ListAsync(desk, limit: 4);

        Assert.Equal(["v0", "v1", "v2", "g0"], queue.Conversations.Select(c => c.ConversationId));
        Assert.Equal(8, queue.Total);
    }

    [Fact]
    public async Task Assigned_and_released_conversations_leave_the_list()
    {
        var desk = NewDesk();
        await desk.EnqueueAsync("c1", "general");
        await desk.EnqueueAsync("c2", "general");
        await desk.EnqueueAsync("c3", "general");
        await desk.OnlineAsync("ann", 1, "general");
        await desk.ReleaseAsync("c3");

        var queue = await ListAsync(desk);

        Assert.Equal(["c2"], queue.Conversations.Select(c => c.ConversationId));
        Assert.Equal(1, queue.Conversations[0].Position);
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_queue()
    {
        var acme = NewDesk();
        var globex = NewDesk();
        await acme.EnqueueAsync("a1", "general");
        await globex.EnqueueAsync("g1", "general");
        await globex.EnqueueAsync("g2", "sales");

        Assert.Equal(["a1"], (await ListAsync(acme)).Conversations.Select(c => c.ConversationId));
        Assert.Equal(["g1", "g2"], (await ListAsync(globex)).Conversations.Select(c => c.ConversationId));
        // Naming the other tenant's groups finds nothing of theirs either.
        Assert.Equal(["a1"], (await ListAsync(acme, ["general", "sales"])).Conversations.Select(c => c.ConversationId));
        Assert.Empty((await ListAsync(NewDesk())).Conversations);
    }

    [Fact]
    public async Task Skill_groups_and_an_agents_own_groups_narrow_the_list()
    {
        var desk = NewDesk();
        await desk.EnqueueAsync("g1", "general");
        await desk.EnqueueAsync("v1", "vip");
        await desk.EnqueueAsync("s1", "sales");
        // bob is routed by general and vip, but away: the queues stay.
        await desk.Dispatcher.SetPresenceAsync(desk.Tenant, "bob", AgentStatus.Away, ["general", "vip"], 1, CancellationToken.None);
        await desk.EnqueueAsync("g2", "general");

        Assert.Equal(["v1", "s1"], (await ListAsync(desk, ["vip", "sales"])).Conversations.Select(c => c.ConversationId));
        var bobs = await ListAsync(desk, agent: "bob");
        Assert.Equal(["g1", "v1", "g2"], bobs.Conversations.Select(c => c.ConversationId));
        Assert.Equal(3, bobs.Total);
        Assert.Equal(["v1"], (await ListAsync(desk, ["vip", "sales"], agent: "bob")).Conversations.Select(c => c.ConversationId));
        Assert.Empty((await ListAsync(desk, agent: "nobody")).Conversations);
        Assert.Empty((await ListAsync(desk, [])).Conversations);
    }

    [Fact]
    public async Task The_customer_facts_given_at_enqueue_are_shown()
    {
        var desk = NewDesk();
        await desk.Dispatcher.EnqueueAsync(desk.Tenant, "c1", "v-42", new Placement("general", QueueBand.Normal),
            new WaitingCustomer("李雷", "zh-CN", "/pricing?plan=pro", "gold"), CancellationToken.None);
        await desk.EnqueueAsync("c2", "general", visitor: "v-43");

        var queue = await ListAsync(desk);

        var first = queue.Conversations[0];
        Assert.Equal(("v-42", "李雷", "zh-CN", "/pricing?plan=pro", "gold"), (first.VisitorId, first.CustomerName, first.Language, first.EntryPage, first.CustomerTier));
        var second = queue.Conversations[1];
        Assert.Equal(("v-43", "", "", ""), (second.VisitorId, second.CustomerName, second.Language, second.EntryPage));
    }

    [Fact]
    public async Task Over_grpc_the_request_is_checked_and_the_customer_facts_travel_with_enqueue()
    {
        await using var host = await RoutingHost.StartAsync(redis.Connection, new Dictionary<string, string?> { ["Routing:Rules:*:DefaultSkillGroup"] = "general" });
        var tenant = RedisFixture.NewTenant();
        await host.Client.EnqueueAsync(new EnqueueRequest
        {
            TenantId = tenant, ConversationId = "c1", VisitorId = "v1", CustomerName = "Ann", Language = "en", EntryPage = "/shop/", CustomerTier = "vip",
        });
        await host.Client.EnqueueAsync(new EnqueueRequest { TenantId = tenant, ConversationId = "c2", SkillGroup = "sales" });

        var all = await host.Client.ListQueueAsync(new ListQueueRequest { TenantId = tenant });
        // vip is a priority tier: ahead, though in another group.
        Assert.Equal(["c1", "c2"], all.Conversations.Select(c => c.ConversationId));
        Assert.Equal(("Ann", "en", "/shop/", "vip", WaitingBand.Priority), (all.Conversations[0].CustomerName, all.Conversations[0].Language,
            all.Conversations[0].EntryPage, all.Conversations[0].CustomerTier, all.Conversations[0].Band));
        var sales = await host.Client.ListQueueAsync(new ListQueueRequest { TenantId = tenant, SkillGroups = { "sales", "sales" } });
        Assert.Equal(["c2"], sales.Conversations.Select(c => c.ConversationId));

        foreach (var bad in new[]
        {
            new ListQueueRequest(),
            new ListQueueRequest { TenantId = tenant, Limit = 501 },
            new ListQueueRequest { TenantId = tenant, Limit = -1 },
            new ListQueueRequest { TenantId = tenant, SkillGroups = { "a:b" } },
            new ListQueueRequest { TenantId = "x{y}" },
        })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => host.Client.ListQueueAsync(bad).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        }
    }
}
