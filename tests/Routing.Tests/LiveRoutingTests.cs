using System.Diagnostics;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using RoutingDecision = CustomerService.Contracts.RoutingDecision;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Routing.Tests;

/// <summary>
/// A Routing replica subscribed to the real Admin's config stream: routing rules and agents changed through the
/// Admin API change the next assignment, within a second, without a restart; configuration is the fallback.
/// </summary>
[Collection(LiveConfigCollection.Name)]
public sealed class LiveRoutingTests(LiveConfigFixture live) : IAsyncLifetime
{
    private static readonly TimeSpan InEffectWithin = TimeSpan.FromSeconds(1);

    private readonly string _tenant = RedisFixture.NewTenant();
    private RoutingHost _routing = null!;
    private int _conversations;

    public async Task InitializeAsync()
    {
        _routing = await RoutingHost.StartAsync(live.Redis, new Dictionary<string, string?>
        {
            // The fallback for tenants Admin has no routing_rules for.
            ["Routing:Rules:*:DefaultSkillGroup"] = "from-appsettings",
        }, live.Admin.GrpcAddress);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _routing.Services.GetRequiredService<ILiveConfig>().WaitUntilLoadedAsync(timeout.Token);
    }

    public async Task DisposeAsync() => await _routing.DisposeAsync();

    private Contracts.Routing.RoutingClient Client => _routing.Client;

    private Task<RoutingDecision> EnqueueAsync(string message = "", string tier = "") =>
        Client.EnqueueAsync(new EnqueueRequest
        {
            TenantId = _tenant, ConversationId = $"c{Interlocked.Increment(ref _conversations)}", FirstMessage = message, CustomerTier = tier,
        }).ResponseAsync;

    /// <summary>Enqueues new conversations until one lands in <paramref name="group"/>; how long that took after the write.</summary>
    private async Task<TimeSpan> UntilRoutedToAsync(string group, string message = "")
    {
        var clock = Stopwatch.StartNew();
        await Eventually.GetAsync(() => EnqueueAsync(message), decision => decision.SkillGroup == group,
            $"a new conversation routed to {group}", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));
        return clock.Elapsed;
    }

    private Task PutRulesAsync(string json) => live.Admin.SendOkAsync(HttpMethod.Put, "/api/admin/config/routing_rules", _tenant, json);

    [Fact]
    public async Task A_rule_changed_through_the_admin_api_routes_the_next_conversation_within_a_second()
    {
        // No document yet: the configured fallback decides.
        Assert.Equal("from-appsettings", (await EnqueueAsync("I want a refund")).SkillGroup);

        await PutRulesAsync("""{"default_group":"general","rules":[{"name":"refunds","match":{"keywords":["refund","退款"]},"skill_group":"billing"}]}""");
        var first = await UntilRoutedToAsync("billing", "I want a REFUND please");
        Assert.Equal("general", (await EnqueueAsync("hello")).SkillGroup);
        Assert.Equal("billing", (await EnqueueAsync("我要退 款")).SkillGroup);

        await PutRulesAsync("""{"default_group":"general","rules":[{"name":"refunds","match":{"keywords":["refund"]},"skill_group":"after-sales"}]}""");
        var changed = await UntilRoutedToAsync("after-sales", "refund");

        // Removed: back to the fallback of configuration.
        using (var deleted = await live.Admin.SendAsync(HttpMethod.Delete, "/api/admin/config/routing_rules", _tenant))
            Assert.True(deleted.IsSuccessStatusCode);
        var removed = await UntilRoutedToAsync("from-appsettings", "refund");

        Assert.All([first, changed, removed], took => Assert.True(took < InEffectWithin, $"took {took.TotalMilliseconds:F0} ms"));
    }

    [Fact]
    public async Task Live_rules_keep_their_order_priority_and_overflow()
    {
        await PutRulesAsync("""
            {"default_group":"general","rules":[
              {"name":"vip","match":{"customer_tiers":["vip"]},"skill_group":"vip","priority":90,"overflow":{"after_seconds":60,"to_group":"general"}},
              {"name":"pricing","match":{"keywords":["price"]},"skill_group":"sales"},
              {"name":"urgent","match":{"keywords":["urgent"]},"skill_group":"general","priority":50}]}
            """);
        await UntilRoutedToAsync("sales", "price?");

        // The first matching rule decides, as listed.
        Assert.Equal("sales", (await EnqueueAsync("urgent: price")).SkillGroup);
        // A priority above 0 is the priority band: the later conversation waits ahead.
        var normal = await EnqueueAsync("hello");
        Assert.Equal(("general", 1), (normal.SkillGroup, normal.QueuePosition));
        var urgent = await EnqueueAsync("urgent help");
        Assert.Equal(("general", 1), (urgent.SkillGroup, urgent.QueuePosition));

        // The rule's overflow: a vip conversation is due to move to general after 60 s.
        var placement = _routing.Services.GetRequiredService<Rules.PlacementPolicy>()
            .Decide(new EnqueueRequest { TenantId = _tenant, ConversationId = "x", CustomerTier = "vip" });
        Assert.Equal(("vip", "general", TimeSpan.FromSeconds(60)), (placement.SkillGroup, placement.OverflowTo, placement.OverflowAfter));
        // And so is a conversation that names the group itself.
        placement = _routing.Services.GetRequiredService<Rules.PlacementPolicy>()
            .Decide(new EnqueueRequest { TenantId = _tenant, ConversationId = "y", SkillGroup = "vip" });
        Assert.Equal("general", placement.OverflowTo);
    }

    [Fact]
    public async Task An_agent_takes_the_skill_groups_and_capacity_configured_through_the_admin_api()
    {
        await live.CreateTenantAsync(_tenant);
        await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/skill-groups", _tenant, """{"name":"general"}""");
        await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/skill-groups", _tenant, """{"name":"vip","display_name":"VIP"}""");
        var created = await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/agents", _tenant,
            """{"login":"ann","display_name":"Ann","password":"secret-123","role":"agent","skill_groups":["vip"],"capacity":3}""");
        var ann = created.GetProperty("id").GetString()!;
        await WaitForAgentAsync(ann, a => a.Capacity == 3);

        // The request says general and capacity 1; the directory says vip and 3.
        await OnlineAsync(ann, capacity: 1, "general");
        var taken = new List<RoutingDecision>();
        for (var i = 0; i < 4; i++)
            taken.Add(await Client.EnqueueAsync(new EnqueueRequest { TenantId = _tenant, ConversationId = $"vip-{i}", SkillGroup = "vip" }));
        Assert.Equal([ann, ann, ann, ""], taken.Select(d => d.AgentId));
        // Not in general, whatever the request said.
        Assert.Equal("", (await Client.EnqueueAsync(new EnqueueRequest { TenantId = _tenant, ConversationId = "g", SkillGroup = "general" })).AgentId);

        // An account without skill groups (an admin) takes the request's, with its configured capacity.
        var boss = (await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/agents", _tenant,
            """{"login":"boss","display_name":"Boss","password":"secret-123","role":"admin","capacity":2}""")).GetProperty("id").GetString()!;
        await WaitForAgentAsync(boss, _ => true);
        Assert.Equal(["g"], (await OnlineAsync(boss, 1, "general")).Assigned.Select(d => d.ConversationId));

        // No capacity configured: the tenant's routing_rules.default_agent_capacity.
        await PutRulesAsync("""{"default_group":"general","default_agent_capacity":4}""");
        await live.Admin.SendOkAsync(HttpMethod.Put, $"/api/admin/agents/{ann}", _tenant,
            """{"login":"ann","display_name":"Ann","role":"agent","skill_groups":["vip","general"],"capacity":null}""");
        await WaitForAgentAsync(ann, a => a.Capacity is null && a.SkillGroups.Count == 2);
        var again = await OnlineAsync(ann, capacity: 1, "general");
        // Capacity 4 holds the three and takes one more: the waiting vip conversation (general's waited less).
        Assert.Equal(["vip-3"], again.Assigned.Select(d => d.ConversationId));

        // Deactivated, or unknown to the directory: may not go online.
        await live.Admin.SendOkAsync(HttpMethod.Put, $"/api/admin/agents/{ann}", _tenant,
            """{"login":"ann","display_name":"Ann","role":"agent","skill_groups":["vip"],"active":false}""");
        var clock = Stopwatch.StartNew();
        await WaitForAgentAsync(ann, a => !a.Active);
        var refused = await Assert.ThrowsAsync<RpcException>(() => OnlineAsync(ann, 1, "general"));
        Assert.True(clock.Elapsed < InEffectWithin, $"took {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("deactivated", refused.Status.Detail);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => OnlineAsync("someone-else", 1, "general"));
        Assert.Equal(StatusCode.FailedPrecondition, unknown.StatusCode);
    }

    private Task<SetPresenceReply> OnlineAsync(string agent, int capacity, params string[] groups) =>
        Client.SetPresenceAsync(new SetPresenceRequest
        {
            TenantId = _tenant, AgentId = agent, Status = AgentStatus.Online, Capacity = capacity, SkillGroups = { groups },
        }).ResponseAsync;

    private async Task WaitForAgentAsync(string id, Func<AgentEntry, bool> condition)
    {
        var config = _routing.Services.GetRequiredService<ILiveConfig>();
        await Eventually.GetAsync(() => Task.FromResult(config.Current.FindOwn<AgentDirectory>(_tenant)?.Find(id)),
            agent => agent is not null && condition(agent), $"agent {id} as awaited in the directory Routing runs with", InEffectWithin,
            TimeSpan.FromMilliseconds(10));
    }
}
