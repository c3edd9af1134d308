using System.Net;
using CustomerService.Contracts;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AccessTests(GatewayFixture fixture) : IDisposable
{
    private readonly HttpClient _client = fixture.Gateway.ClientFrom();

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("/api/admin/tenants/acme/agents")]
    [InlineData("/api/admin/tenants/acme")]
    [InlineData("/api/history/conversations?tenant=acme")]
    [InlineData("/api/history/conversations?tenant=demo&tenant=acme")]
    [InlineData("/api/admin/agents?tenant=acme")]
    public async Task Naming_another_tenant_is_403(string path)
    {
        var response = await _client.GetAsync(path, fixture.Tokens.Admin("demo"));

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("another tenant", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/admin/tenants/demo/agents")]
    [InlineData("/api/history/conversations?tenant=demo")]
    public async Task Naming_the_token_tenant_passes(string path)
    {
        var seen = await (await _client.GetAsync(path, fixture.Tokens.Admin("demo"))).SeenAsync();

        Assert.Equal("demo", seen.Header(IdentityHeaders.Tenant));
    }

    [Fact]
    public async Task The_admin_api_is_for_admins_and_supervisors_may_only_read()
    {
        var agent = fixture.Tokens.Mint(role: Roles.Agent);
        var supervisor = fixture.Tokens.Supervisor();
        var admin = fixture.Tokens.Admin();

        var refused = await (await _client.GetAsync("/api/admin/agents", agent)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("admin", refused.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/admin/agents", supervisor)).StatusCode);
        await (await _client.SendAsync(HttpMethod.Post, "/api/admin/agents", supervisor, new { })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.SendAsync(HttpMethod.Delete, "/api/admin/agents/1", supervisor)).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("POST", (await (await _client.SendAsync(HttpMethod.Post, "/api/admin/agents", admin, new { })).SeenAsync()).Method);
        await (await _client.GetAsync("/api/admin/agents", fixture.Tokens.Visitor())).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Parked_history_is_for_the_tenants_admins_only_reads_included()
    {
        foreach (var token in (string[])[fixture.Tokens.Supervisor(), fixture.Tokens.Mint(role: Roles.Agent), fixture.Tokens.Visitor()])
        {
            await (await _client.GetAsync("/api/history/parked", token)).ProblemAsync(HttpStatusCode.Forbidden);
            await (await _client.SendAsync(HttpMethod.Post, "/api/history/parked/CHAT_MESSAGES-1/replay", token)).ProblemAsync(HttpStatusCode.Forbidden);
            await (await _client.SendAsync(HttpMethod.Post, "/api/history/parked/replay", token)).ProblemAsync(HttpStatusCode.Forbidden);
        }
        var admin = fixture.Tokens.Admin();
        Assert.Equal("/api/history/parked", (await (await _client.GetAsync("/api/history/parked?limit=5", admin)).SeenAsync()).Path);
        Assert.Equal("POST", (await (await _client.SendAsync(HttpMethod.Post, "/api/history/parked/CHAT_MESSAGES-1/replay", admin)).SeenAsync()).Method);
        // The other history routes are for any staff token (HistoryWriter checks their roles).
        Assert.Equal("GET", (await (await _client.GetAsync("/api/history/search", fixture.Tokens.Mint(role: Roles.Agent))).SeenAsync()).Method);
    }

    [Fact]
    public async Task History_is_for_staff_and_a_visitor_is_refused_at_the_gateway()
    {
        var refused = await (await _client.GetAsync("/api/history/search?q=hi", fixture.Tokens.Visitor())).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("agent", refused.GetProperty("detail").GetString());
        await (await _client.GetAsync("/api/history/conversations/c1/messages", fixture.Tokens.Visitor())).ProblemAsync(HttpStatusCode.Forbidden);
        foreach (var token in (string[])[fixture.Tokens.Mint(role: Roles.Agent), fixture.Tokens.Supervisor(), fixture.Tokens.Admin()])
            Assert.Equal("/api/history/conversations/c1/messages", (await (await _client.GetAsync("/api/history/conversations/c1/messages", token)).SeenAsync()).Path);
    }

    [Fact]
    public async Task Platform_configuration_is_for_the_operator_tenants_admins_and_a_shops_admin_is_refused_at_the_gateway()
    {
        const string path = "/api/admin/platform/config/routing-rules";
        var refused = await (await _client.SendAsync(HttpMethod.Put, path, fixture.Tokens.Admin("demo"), new { })).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("operator tenant", refused.GetProperty("detail").GetString());
        await (await _client.GetAsync(path, fixture.Tokens.Admin("demo"))).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.GetAsync(path, fixture.Tokens.Supervisor())).ProblemAsync(HttpStatusCode.Forbidden);

        const string operatorTenant = "platform";   // Auth:OperatorTenant's default, as Tokens.Operator() has it
        Assert.Equal("PUT", (await (await _client.SendAsync(HttpMethod.Put, path, fixture.Tokens.Admin(operatorTenant), new { })).SeenAsync()).Method);
        var operatorSupervisor = fixture.Tokens.Mint(operatorTenant, role: Roles.Supervisor);
        Assert.Equal("GET", (await (await _client.GetAsync(path, operatorSupervisor)).SeenAsync()).Method);
        await (await _client.SendAsync(HttpMethod.Put, path, operatorSupervisor, new { })).ProblemAsync(HttpStatusCode.Forbidden);
        // The tenant's own configuration stays the tenant admin's.
        Assert.Equal("PUT", (await (await _client.SendAsync(HttpMethod.Put, "/api/admin/config/routing-rules", fixture.Tokens.Admin("demo"), new { })).SeenAsync()).Method);
    }

    [Theory]
    [InlineData("/api/admin/canned-replies/search?q=hi")]
    [InlineData("/api/admin/skill-groups")]
    public async Task Agents_may_read_what_the_console_needs_and_nothing_else_of_the_admin_api(string path)
    {
        var agent = fixture.Tokens.Mint(role: Roles.Agent);

        Assert.Equal("GET", (await (await _client.GetAsync(path, agent)).SeenAsync()).Method);
        var bare = path.Split('?')[0];
        await (await _client.SendAsync(HttpMethod.Post, bare, agent, new { })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.SendAsync(HttpMethod.Delete, bare, agent)).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.GetAsync(path, fixture.Tokens.Visitor())).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.GetAsync("/api/admin/canned-replies", agent)).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("/ws/agent", Roles.Visitor, HttpStatusCode.Forbidden)]
    [InlineData("/ws/agent", Roles.Agent, HttpStatusCode.OK)]
    [InlineData("/ws/agent", Roles.Supervisor, HttpStatusCode.OK)]
    [InlineData("/ws/agent", Roles.Admin, HttpStatusCode.OK)]
    [InlineData("/ws/customer", Roles.Agent, HttpStatusCode.Forbidden)]
    [InlineData("/ws/customer", Roles.Admin, HttpStatusCode.Forbidden)]
    [InlineData("/ws/customer", Roles.Visitor, HttpStatusCode.OK)]
    public async Task Socket_paths_are_for_their_roles(string path, string role, HttpStatusCode expected)
    {
        var response = await _client.GetAsync(path, fixture.Tokens.Mint(role: role));

        Assert.Equal(expected, response.StatusCode);
    }
}
