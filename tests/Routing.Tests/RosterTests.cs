using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Routing.Tests;

/// <summary>
/// The agent directory the console's transfer picker reads: the accounts Admin publishes, with Routing's presence,
/// and nothing about capacity, load or logins.
/// </summary>
[Collection(LiveConfigCollection.Name)]
public sealed class RosterTests(LiveConfigFixture live) : IAsyncLifetime
{
    private readonly string _tenant = RedisFixture.NewTenant();
    private RoutingHost _routing = null!;

    public async Task InitializeAsync()
    {
        _routing = await RoutingHost.StartAsync(live.Redis, new Dictionary<string, string?> { ["Routing:Rules:*:DefaultSkillGroup"] = "general" },
            live.Admin.GrpcAddress);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _routing.Services.GetRequiredService<ILiveConfig>().WaitUntilLoadedAsync(timeout.Token);
    }

    public async Task DisposeAsync() => await _routing.DisposeAsync();

    private async Task<string> CreateAsync(string login, string name, string role, string groups, int? capacity = null, bool active = true) =>
        (await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/agents", _tenant,
            $$"""{"login":"{{login}}","display_name":"{{name}}","password":"secret-123","role":"{{role}}","skill_groups":[{{groups}}],"capacity":{{(capacity?.ToString() ?? "null")}},"active":{{(active ? "true" : "false")}}}"""))
        .GetProperty("id").GetString()!;

    private Task OnlineAsync(string agent, int capacity = 1) =>
        _routing.Client.SetPresenceAsync(new SetPresenceRequest { TenantId = _tenant, AgentId = agent, Status = AgentStatus.Online, Capacity = capacity, SkillGroups = { "general" } }).ResponseAsync;

    [Fact]
    public async Task Lists_the_tenants_active_people_with_their_presence_and_whether_they_take_a_transfer()
    {
        await live.CreateTenantAsync(_tenant);
        await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/skill-groups", _tenant, """{"name":"general"}""");
        await live.Admin.SendOkAsync(HttpMethod.Post, "/api/admin/skill-groups", _tenant, """{"name":"vip"}""");
        var ann = await CreateAsync("ann", "Ann", "agent", "\"general\"", capacity: 1);
        var bob = await CreateAsync("bob", "Bob", "agent", "\"general\",\"vip\"", capacity: 2);
        var cat = await CreateAsync("cat", "Cat", "agent", "\"general\"");
        await CreateAsync("gone", "Gone", "agent", "\"general\"", active: false);
        var sue = await CreateAsync("sue", "Sue", "supervisor", "");
        await Eventually.GetAsync(async () => (await _routing.Client.ListAgentsAsync(new ListAgentsRequest { TenantId = _tenant })).Agents,
            agents => agents.Count >= 4, "the directory reached Routing: its four active agents listed", TimeSpan.FromSeconds(5),
            TimeSpan.FromMilliseconds(20));

        await OnlineAsync(ann);
        await OnlineAsync(bob);
        await _routing.Client.SetPresenceAsync(new SetPresenceRequest { TenantId = _tenant, AgentId = cat, Status = AgentStatus.Away });
        // ann's one conversation fills her: online, but would refuse a transfer.
        await _routing.Client.EnqueueAsync(new EnqueueRequest { TenantId = _tenant, ConversationId = "c1", SkillGroup = "general" });
        await _routing.Client.EnqueueAsync(new EnqueueRequest { TenantId = _tenant, ConversationId = "c2", SkillGroup = "general" });

        var reply = await _routing.Client.ListAgentsAsync(new ListAgentsRequest { TenantId = _tenant });
        Assert.True(reply.HasDirectory);
        Assert.Equal(["Ann", "Bob", "Cat", "Sue"], reply.Agents.Select(a => a.DisplayName));
        Assert.Equal([ann, bob, cat, sue], reply.Agents.Select(a => a.AgentId));
        Assert.Equal([AgentStatus.Online, AgentStatus.Online, AgentStatus.Away, AgentStatus.Offline], reply.Agents.Select(a => a.Status));
        Assert.Equal([false, true, false, false], reply.Agents.Select(a => a.Accepting));
        Assert.Equal(["general", "vip"], reply.Agents[1].SkillGroups);
        Assert.Equal("supervisor", reply.Agents[3].Role);

        // Over HTTP, for an agent of the tenant: the same, and nothing about capacity or logins.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/routing/agents");
        request.Headers.Add(IdentityHeaders.Tenant, _tenant);
        request.Headers.Add(IdentityHeaders.User, ann);
        request.Headers.Add(IdentityHeaders.Role, Roles.Agent);
        using var response = await _routing.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var bobJson = JsonDocument.Parse(body).RootElement.GetProperty("agents")[1];
        Assert.Equal(["accepting", "displayName", "id", "role", "skillGroups", "status"], bobJson.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(("online", true), (bobJson.GetProperty("status").GetString(), bobJson.GetProperty("accepting").GetBoolean()));
        Assert.DoesNotContain("capacity", body);
        Assert.DoesNotContain("\"bob\"", body); // the login
    }
}
