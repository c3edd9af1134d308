using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Internal trust against the real Admin and Session started as processes (their HTTP ports, no gateway in front):
/// identity headers count only with the gateway's signature under the deployment's internal key, fresh; and the
/// normal path through a gateway still works.
/// </summary>
[Collection(LiveGatewayCollection.Name)]
public sealed class InternalTrustTests(LiveGatewayFixture fixture)
{
    private static readonly IdentityHeaderValues DemoAdmin = new("demo", "admin-1", Roles.Admin, "Ada", null, null);
    private static readonly IdentityHeaderValues DemoAgent = new("demo", "agent-1", Roles.Agent, "Alice", "general", null);

    [Fact]
    public async Task A_request_straight_to_Admin_with_forged_identity_headers_gets_401_and_creates_nothing()
    {
        var login = "forged-" + Guid.NewGuid().ToString("N")[..10];
        var forgedKey = RandomNumberGenerator.GetBytes(32);

        using var unsigned = await StraightToAdminAsync(HttpMethod.Post, "/api/admin/agents", DemoAdmin, signature: null, NewAgent(login));
        using var otherKey = await StraightToAdminAsync(HttpMethod.Post, "/api/admin/agents", DemoAdmin,
            IdentitySignature.Sign(forgedKey, DemoAdmin, DateTimeOffset.UtcNow), NewAgent(login));
        using var garbage = await StraightToAdminAsync(HttpMethod.Post, "/api/admin/agents", DemoAdmin, "t=1,v1=not-a-mac", NewAgent(login));

        await AssertRefusedAsync(unsigned, "missing");
        await AssertRefusedAsync(otherKey, "mismatch");
        await AssertRefusedAsync(garbage, "malformed");
        using var agents = await StraightToAdminAsync(HttpMethod.Get, "/api/admin/agents", DemoAdmin, Sign(DemoAdmin));
        Assert.DoesNotContain(login, await agents.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_correctly_signed_identity_is_served_straight_from_Admin()
    {
        var login = "signed-" + Guid.NewGuid().ToString("N")[..10];

        using var created = await StraightToAdminAsync(HttpMethod.Post, "/api/admin/agents", DemoAdmin, Sign(DemoAdmin), NewAgent(login));
        using var agents = await StraightToAdminAsync(HttpMethod.Get, "/api/admin/agents", DemoAdmin, Sign(DemoAdmin));

        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, agents.StatusCode);
        Assert.Contains(login, await agents.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_genuine_signature_replayed_after_the_window_gets_401()
    {
        // Captured a minute and a second ago (a real replay would wait the minute out); half a minute old still passes.
        var stale = Sign(DemoAdmin, DateTimeOffset.UtcNow - IdentitySignature.Window - TimeSpan.FromSeconds(1));
        var recent = Sign(DemoAdmin, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(30));

        using var replayed = await StraightToAdminAsync(HttpMethod.Get, "/api/admin/agents", DemoAdmin, stale);
        using var fresh = await StraightToAdminAsync(HttpMethod.Get, "/api/admin/agents", DemoAdmin, recent);

        await AssertRefusedAsync(replayed, "expired");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task A_signed_agent_identity_turned_admin_on_the_way_gets_401()
    {
        var signature = Sign(DemoAgent);

        using var asAgent = await StraightToAdminAsync(HttpMethod.Get, "/api/admin/skill-groups", DemoAgent, signature);
        using var promoted = await StraightToAdminAsync(HttpMethod.Get, "/api/admin/agents", DemoAgent with { Role = Roles.Admin }, signature);

        Assert.Equal(HttpStatusCode.OK, asAgent.StatusCode);
        await AssertRefusedAsync(promoted, "mismatch");
    }

    [Fact]
    public async Task Requests_without_identity_headers_pass_as_before()
    {
        using var http = new HttpClient { BaseAddress = fixture.Admin.BaseAddress };

        using var health = await http.GetAsync("/health");
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { tenant = "demo", login = "alice", password = "alice123" });
        using var anonymous = await http.GetAsync("/api/admin/agents");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        // Admin's own answer to a caller without identity, not the signature check's.
        Assert.Equal("Not signed in", (await anonymous.ProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_socket_straight_to_Session_opens_only_with_a_fresh_signed_identity()
    {
        var forged = await RefusedUpgradeAsync(options =>
        {
            options.SetRequestHeader(IdentityHeaders.Tenant, "demo");
            options.SetRequestHeader(IdentityHeaders.User, "agent-1");
            options.SetRequestHeader(IdentityHeaders.Role, Roles.Agent);
        });
        var replayed = await RefusedUpgradeAsync(options => TestIdentity.SetIdentity(options, "demo", "agent-1", Roles.Agent,
            at: DateTimeOffset.UtcNow.AddMinutes(-2)));

        Assert.Equal(HttpStatusCode.Unauthorized, forged);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed);
        await using var signed = await TestSocket.ConnectAsync(fixture.Session.BaseAddress, "demo", "agent-signed", Roles.Agent, "Signed Agent",
            () => fixture.Session.Output);
        await signed.SendAsync(new { type = "hello" });
        Assert.Equal("agent-signed", (string?)(await signed.NextAsync("welcome"))["userId"]);
    }

    [Fact]
    public async Task Through_the_gateway_an_admin_reads_agents_and_an_agent_opens_a_socket()
    {
        await using var gateway = fixture.StartGatewayToServices();
        using var http = gateway.ClientFrom();
        var admin = await LoginAsync(http, "admin", "admin123");
        var alice = await LoginAsync(http, "alice", "alice123");

        using var agents = await http.GetAsync("/api/admin/agents", admin);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(gateway.SocketUri($"/ws/agent?access_token={alice}"), CancellationToken.None);
        await using var frames = new TestSocket(socket);
        await frames.SendAsync(new { type = "hello" });

        Assert.Equal(HttpStatusCode.OK, agents.StatusCode);
        var welcome = await frames.NextAsync("welcome");
        Assert.Equal((Roles.Agent, "demo"), ((string?)welcome["role"], (string?)welcome["tenant"]));
    }

    [Fact]
    public async Task A_gateway_with_another_deployments_key_is_not_believed()
    {
        await using var gateway = fixture.StartGatewayToServices(new Dictionary<string, string?>
        {
            ["Auth:InternalKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        using var http = gateway.ClientFrom();
        var admin = await LoginAsync(http, "admin", "admin123"); // anonymous: no identity headers to sign

        using var agents = await http.GetAsync("/api/admin/agents", admin);

        await AssertRefusedAsync(agents, "mismatch");
    }

    [Fact]
    public async Task A_service_without_an_internal_key_believes_no_identity_at_all()
    {
        await using var keyless = await fixture.StartAnotherAdminAsync(new Dictionary<string, string> { ["Auth__InternalKey"] = "" });
        using var http = new HttpClient { BaseAddress = keyless.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/agents");
        request.Headers.Add(IdentityHeaders.Tenant, DemoAdmin.Tenant);
        request.Headers.Add(IdentityHeaders.User, DemoAdmin.User);
        request.Headers.Add(IdentityHeaders.Role, DemoAdmin.Role);
        request.Headers.Add(IdentityHeaders.Name, DemoAdmin.Name);
        request.Headers.Add(IdentitySignature.Header, Sign(DemoAdmin));

        using var signed = await http.SendAsync(request);
        using var health = await http.GetAsync("/health");

        await AssertRefusedAsync(signed, "no_key");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("Auth:InternalKey is not set", keyless.Output);
    }

    private static string Sign(IdentityHeaderValues identity, DateTimeOffset? at = null) =>
        IdentitySignature.Sign(TestIdentity.Key, identity, at ?? DateTimeOffset.UtcNow);

    private static object NewAgent(string login) => new
    {
        login, display_name = "Made by " + login, password = "a-password-1", role = Roles.Agent, skill_groups = new[] { "general" },
    };

    /// <summary>A request to Admin's own HTTP port with these identity headers and this signature (null: none), no gateway.</summary>
    private async Task<HttpResponseMessage> StraightToAdminAsync(HttpMethod method, string path, IdentityHeaderValues identity, string? signature,
        object? body = null)
    {
        using var http = new HttpClient { BaseAddress = fixture.Admin.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in new[] { (IdentityHeaders.Tenant, identity.Tenant), (IdentityHeaders.User, identity.User), (IdentityHeaders.Role, identity.Role),
                     (IdentityHeaders.Name, identity.Name), (IdentityHeaders.SkillGroups, identity.SkillGroups), (IdentityHeaders.TokenVersion, identity.TokenVersion) })
            if (value is not null) request.Headers.Add(name, value);
        if (signature is not null) request.Headers.TryAddWithoutValidation(IdentitySignature.Header, signature);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await http.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string reason)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Identity not verified", problem.GetProperty("title").GetString());
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
    }

    private async Task<HttpStatusCode> RefusedUpgradeAsync(Action<ClientWebSocketOptions> identify)
    {
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        identify(socket.Options);
        await Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(new Uri($"ws://{fixture.Session.BaseAddress.Authority}/ws/agent"), CancellationToken.None));
        return socket.HttpStatusCode;
    }

    private static async Task<string> LoginAsync(HttpClient http, string login, string password)
    {
        using var response = await http.PostAsJsonAsync("/api/auth/login", new { tenant = "demo", login, password });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"login {login}: {(int)response.StatusCode} {body}");
        return body.GetProperty("accessToken").GetString()!;
    }
}
