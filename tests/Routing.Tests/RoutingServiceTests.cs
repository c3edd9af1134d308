using CustomerService.Contracts;
using Grpc.Core;

namespace CustomerService.Routing.Tests;

/// <summary>The gRPC surface, through the generated client against the service hosted on Kestrel.</summary>
[Collection(RedisCollection.Name)]
public sealed class RoutingServiceTests(RedisFixture redis) : IAsyncLifetime
{
    private readonly string _tenant = RedisFixture.NewTenant();
    private RoutingHost _host = null!;

    public async Task InitializeAsync() => _host = await RoutingHost.StartAsync(redis.Connection, new Dictionary<string, string?>
    {
        ["Routing:Rules:*:DefaultSkillGroup"] = "general",
        ["Routing:Rules:*:Rules:0:Name"] = "refunds",
        ["Routing:Rules:*:Rules:0:When:Keywords:0"] = "refund",
        ["Routing:Rules:*:Rules:0:SkillGroup"] = "billing",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Contracts.Routing.RoutingClient Client => _host.Client;

    private Task<SetPresenceReply> OnlineAsync(string agent, int capacity, params string[] groups) =>
        Client.SetPresenceAsync(new SetPresenceRequest
        {
            TenantId = _tenant, AgentId = agent, Status = AgentStatus.Online, Capacity = capacity, SkillGroups = { groups },
        }).ResponseAsync;

    private Task<RoutingDecision> EnqueueAsync(string conversation, string group, string visitor = "", string tier = "", string message = "") =>
        Client.EnqueueAsync(new EnqueueRequest
        {
            TenantId = _tenant, ConversationId = conversation, SkillGroup = group, VisitorId = visitor, CustomerTier = tier, FirstMessage = message,
        }).ResponseAsync;

    [Fact]
    public async Task A_conversation_is_queued_assigned_and_released_over_grpc()
    {
        var waiting = await EnqueueAsync("c1", "support", visitor: "v1");
        Assert.Equal((false, 1), (waiting.Assigned, waiting.QueuePosition));
        Assert.Equal(1, (await Client.GetQueuePositionAsync(new QueuePositionRequest { TenantId = _tenant, ConversationId = "c1" })).Position);

        var online = await OnlineAsync("ann", 1, "support");
        Assert.Equal(("c1", "ann"), (online.Assigned[0].ConversationId, online.Assigned[0].AgentId));
        Assert.Equal(0, (await Client.GetQueuePositionAsync(new QueuePositionRequest { TenantId = _tenant, ConversationId = "c1" })).Position);

        await EnqueueAsync("c2", "support");
        var released = await Client.ReleaseAsync(new ReleaseRequest { TenantId = _tenant, ConversationId = "c1", AgentId = "ann" });
        Assert.Equal("c2", Assert.Single(released.Assigned).ConversationId);
    }

    [Fact]
    public async Task Vip_customers_are_queued_ahead()
    {
        await EnqueueAsync("c1", "support");
        var vip = await EnqueueAsync("c2", "support", tier: "VIP");
        Assert.Equal(1, vip.QueuePosition);
    }

    [Fact]
    public async Task Without_a_skill_group_the_routing_rules_choose_one()
    {
        Assert.Equal("billing", (await EnqueueAsync("c1", "", message: "I want a REFUND please")).SkillGroup);
        Assert.Equal("general", (await EnqueueAsync("c2", "", message: "hello")).SkillGroup);
    }

    [Fact]
    public async Task Transfers_over_grpc_report_the_conversations_the_freed_capacity_took()
    {
        await OnlineAsync("ann", 1, "support");
        await OnlineAsync("bob", 1, "billing");
        await EnqueueAsync("c1", "support");
        await EnqueueAsync("c2", "support");

        var moved = await Client.TransferAsync(new TransferRequest { TenantId = _tenant, ConversationId = "c1", FromAgentId = "ann", ToSkillGroup = "billing" });

        Assert.Equal(("bob", "billing"), (moved.AgentId, moved.SkillGroup));
        Assert.Equal(("c2", "ann"), (moved.AssignedFromQueue[0].ConversationId, moved.AssignedFromQueue[0].AgentId));
    }

    [Fact]
    public async Task An_agent_going_offline_over_grpc_gets_its_conversations_requeued()
    {
        await OnlineAsync("ann", 2, "support");
        await EnqueueAsync("c1", "support");

        var reply = await Client.SetPresenceAsync(new SetPresenceRequest { TenantId = _tenant, AgentId = "ann", Status = AgentStatus.Offline });

        Assert.Equal(("c1", false, 1), (reply.Requeued[0].ConversationId, reply.Requeued[0].Assigned, reply.Requeued[0].QueuePosition));
    }

    public static TheoryData<string, Func<Contracts.Routing.RoutingClient, string, Task>, string> BadRequests => new()
    {
        { "no tenant", (c, t) => c.EnqueueAsync(new EnqueueRequest { ConversationId = "c", SkillGroup = "g" }).ResponseAsync, "tenant_id is required" },
        { "no conversation", (c, t) => c.EnqueueAsync(new EnqueueRequest { TenantId = t, SkillGroup = "g" }).ResponseAsync, "conversation_id is required" },
        { "colon in id", (c, t) => c.EnqueueAsync(new EnqueueRequest { TenantId = t, ConversationId = "a:b", SkillGroup = "g" }).ResponseAsync, "conversation_id 'a:b' contains" },
        { "brace in group", (c, t) => c.EnqueueAsync(new EnqueueRequest { TenantId = t, ConversationId = "c", SkillGroup = "{g}" }).ResponseAsync, "skill_group '{g}' contains" },
        { "long id", (c, t) => c.EnqueueAsync(new EnqueueRequest { TenantId = t, ConversationId = new string('x', 129), SkillGroup = "g" }).ResponseAsync, "longer than 128" },
        { "no status", (c, t) => c.SetPresenceAsync(new SetPresenceRequest { TenantId = t, AgentId = "a", Capacity = 1, SkillGroups = { "g" } }).ResponseAsync, "status must be online, away or offline" },
        { "online without capacity", (c, t) => c.SetPresenceAsync(new SetPresenceRequest { TenantId = t, AgentId = "a", Status = AgentStatus.Online, SkillGroups = { "g" } }).ResponseAsync, "capacity must be at least 1" },
        { "capacity too large", (c, t) => c.SetPresenceAsync(new SetPresenceRequest { TenantId = t, AgentId = "a", Status = AgentStatus.Online, Capacity = 51, SkillGroups = { "g" } }).ResponseAsync, "between 0 and 50" },
        { "online without groups", (c, t) => c.SetPresenceAsync(new SetPresenceRequest { TenantId = t, AgentId = "a", Status = AgentStatus.Online, Capacity = 1 }).ResponseAsync, "skill_groups must name at least one group" },
        { "transfer to nobody", (c, t) => c.TransferAsync(new TransferRequest { TenantId = t, ConversationId = "c" }).ResponseAsync, "exactly one of to_agent_id and to_skill_group" },
        { "transfer to both", (c, t) => c.TransferAsync(new TransferRequest { TenantId = t, ConversationId = "c", ToAgentId = "a", ToSkillGroup = "g" }).ResponseAsync, "exactly one of" },
        { "release without conversation", (c, t) => c.ReleaseAsync(new ReleaseRequest { TenantId = t }).ResponseAsync, "conversation_id is required" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_are_invalid_arguments_with_a_clear_message(string name, Func<Contracts.Routing.RoutingClient, string, Task> call, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => call(Client, _tenant));
        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{name}: {error.Status}");
        Assert.Contains(message, error.Status.Detail);
    }

    [Fact]
    public async Task Unknown_conversations_are_not_found_and_not_queued()
    {
        var position = await Client.GetQueuePositionAsync(new QueuePositionRequest { TenantId = _tenant, ConversationId = "nope" });
        Assert.Equal(0, position.Position);
        var release = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ReleaseAsync(new ReleaseRequest { TenantId = _tenant, ConversationId = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, release.StatusCode);
        Assert.Contains("conversation nope is not known", release.Status.Detail);
    }

    [Fact]
    public async Task Transfer_to_an_agent_at_capacity_is_a_failed_precondition()
    {
        await OnlineAsync("ann", 1, "support");
        await OnlineAsync("bob", 1, "support");
        await EnqueueAsync("c1", "support");
        await EnqueueAsync("c2", "support");

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.TransferAsync(new TransferRequest { TenantId = _tenant, ConversationId = "c1", ToAgentId = "bob" }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("agent bob is at capacity", error.Status.Detail);
    }

    [Fact]
    public async Task A_tenant_without_rules_or_a_default_group_gets_a_clear_error_for_an_empty_skill_group()
    {
        await using var bare = await RoutingHost.StartAsync(redis.Connection);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            bare.Client.EnqueueAsync(new EnqueueRequest { TenantId = _tenant, ConversationId = "c1" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("skill_group is empty and no routing rule", error.Status.Detail);
    }
}
