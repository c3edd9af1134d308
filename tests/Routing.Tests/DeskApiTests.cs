using System.Net;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Routing.Tests;

/// <summary>
/// Routing's HTTP desk API as the gateway reaches it (identity headers set, tenant never from the query): who
/// sees which queue, and clear problems for what a client gets wrong.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DeskApiTests(RedisFixture redis) : IAsyncLifetime
{
    private readonly string _tenant = RedisFixture.NewTenant();
    private RoutingHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await RoutingHost.StartAsync(redis.Connection, new Dictionary<string, string?> { ["Routing:Rules:*:DefaultSkillGroup"] = "general" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpResponseMessage> GetAsync(string path, string role, string user = "ann", string? tenant = null, string? skills = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(IdentityHeaders.Tenant, tenant ?? _tenant);
        request.Headers.Add(IdentityHeaders.User, user);
        request.Headers.Add(IdentityHeaders.Role, role);
        if (skills is not null) request.Headers.Add(IdentityHeaders.SkillGroups, skills);
        return await _host.Http.SendAsync(request);
    }

    private async Task<JsonElement> GetOkAsync(string path, string role, string user = "ann", string? skills = null)
    {
        using var response = await GetAsync(path, role, user, skills: skills);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Ids(JsonElement queue) =>
        [.. queue.GetProperty("conversations").EnumerateArray().Select(c => c.GetProperty("conversationId").GetString()!)];

    private async Task EnqueueAsync(string tenant, string conversation, string group, string name = "") =>
        await _host.Client.EnqueueAsync(new EnqueueRequest { TenantId = tenant, ConversationId = conversation, SkillGroup = group, CustomerName = name });

    [Fact]
    public async Task An_agent_sees_the_queues_of_its_own_skill_groups_and_a_supervisor_every_queue()
    {
        await EnqueueAsync(_tenant, "g1", "general", "Li Lei");
        await EnqueueAsync(_tenant, "v1", "vip");
        await EnqueueAsync(_tenant, "s1", "sales");
        await EnqueueAsync(RedisFixture.NewTenant(), "other", "general");
        // ann is routed by general and vip (set when she went away); her token says only general.
        await _host.Client.SetPresenceAsync(new SetPresenceRequest
        {
            TenantId = _tenant, AgentId = "ann", Status = AgentStatus.Away, SkillGroups = { "general", "vip" },
        });

        var anns = await GetOkAsync("/api/routing/queue", Roles.Agent, skills: "general");
        Assert.Equal(["g1", "v1"], Ids(anns));
        Assert.Equal(2, anns.GetProperty("total").GetInt32());
        var first = anns.GetProperty("conversations")[0];
        Assert.Equal(("general", 1, "normal", "Li Lei"), (first.GetProperty("skillGroup").GetString(), first.GetProperty("position").GetInt32(),
            first.GetProperty("band").GetString(), first.GetProperty("customerName").GetString()));
        Assert.True(first.GetProperty("waitingSeconds").GetInt64() >= 0);
        Assert.False(anns.GetProperty("conversations")[1].TryGetProperty("customerName", out _)); // unknown: left out

        // An agent who never set a presence: the token's skill groups.
        Assert.Equal(["s1"], Ids(await GetOkAsync("/api/routing/queue", Roles.Agent, user: "new-agent", skills: "sales")));
        Assert.Empty(Ids(await GetOkAsync("/api/routing/queue", Roles.Agent, user: "no-groups")));

        Assert.Equal(["g1", "v1", "s1"], Ids(await GetOkAsync("/api/routing/queue", Roles.Supervisor, user: "sue")));
        Assert.Equal(["s1"], Ids(await GetOkAsync("/api/routing/queue?group=sales", Roles.Admin, user: "boss")));
        Assert.Equal(["v1"], Ids(await GetOkAsync("/api/routing/queue?group=vip", Roles.Agent)));
        Assert.Equal(["g1"], Ids(await GetOkAsync("/api/routing/queue?limit=1", Roles.Supervisor, user: "sue")));
    }

    [Fact]
    public async Task The_tenant_comes_from_the_identity_headers_never_from_the_query()
    {
        var other = RedisFixture.NewTenant();
        await EnqueueAsync(other, "theirs", "general");
        await EnqueueAsync(_tenant, "ours", "general");

        Assert.Equal(["ours"], Ids(await GetOkAsync($"/api/routing/queue?tenant={other}", Roles.Supervisor)));
    }

    [Fact]
    public async Task Bad_requests_and_callers_get_problem_details()
    {
        async Task ProblemAsync(HttpStatusCode status, HttpResponseMessage response, string? field = null)
        {
            using (response)
            {
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var problem = JsonDocument.Parse(body).RootElement;
                Assert.True(problem.TryGetProperty("title", out _));
                if (field is not null) Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), body);
            }
        }

        await ProblemAsync(HttpStatusCode.BadRequest, await GetAsync("/api/routing/queue?limit=0", Roles.Supervisor), "limit");
        await ProblemAsync(HttpStatusCode.BadRequest, await GetAsync("/api/routing/queue?limit=lots", Roles.Supervisor), "limit");
        await ProblemAsync(HttpStatusCode.BadRequest, await GetAsync("/api/routing/queue?limit=501", Roles.Supervisor), "limit");
        await ProblemAsync(HttpStatusCode.BadRequest, await GetAsync("/api/routing/queue?group=a%3Ab", Roles.Supervisor), "group");
        await ProblemAsync(HttpStatusCode.BadRequest, await GetAsync("/api/routing/queue", Roles.Supervisor, tenant: "bad{tenant}"));
        // An agent asking for a group not its own.
        await ProblemAsync(HttpStatusCode.Forbidden, await GetAsync("/api/routing/queue?group=vip", Roles.Agent, skills: "general"));
        // Customers read neither.
        await ProblemAsync(HttpStatusCode.Forbidden, await GetAsync("/api/routing/queue", Roles.Visitor, user: "v-1"));
        await ProblemAsync(HttpStatusCode.Forbidden, await GetAsync("/api/routing/agents", Roles.Visitor, user: "v-1"));
        // Without the gateway's headers.
        using var bare = await _host.Http.GetAsync("/api/routing/queue");
        await ProblemAsync(HttpStatusCode.Unauthorized, bare);
    }

    [Fact]
    public async Task Without_an_agent_directory_the_directory_is_empty_and_says_so()
    {
        var roster = await GetOkAsync("/api/routing/agents", Roles.Agent);
        Assert.False(roster.GetProperty("hasDirectory").GetBoolean());
        Assert.Empty(roster.GetProperty("agents").EnumerateArray());
        Assert.Null(_host.Services.GetService<ILiveConfig>());
    }
}
