using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using static CustomerService.Gateway.Tests.AgentSockets;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// A tenant's socket cap (<c>gateway.max_sockets</c>) and visitor-token bucket (<c>gateway.rate_limits.visitor_tokens</c>)
/// written through the real Admin API and enforced by both gateway replicas, each counting its own sockets.
/// </summary>
[Collection(LiveGatewayCollection.Name)]
public sealed class LiveLimitTests(LiveGatewayFixture fixture) : IDisposable
{
    private static readonly TimeSpan InEffectWithin = TimeSpan.FromSeconds(1);
    private readonly List<ClientWebSocket> _sockets = [];

    private static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<(HttpStatusCode Status, ClientWebSocket Socket)> ConnectAsync(GatewayHost gateway, string tenant)
    {
        var socket = AgentSockets.New();
        _sockets.Add(socket);
        try { await socket.OpenAsync(gateway, fixture.Tokens.Mint(tenant: tenant, subject: $"agent-{Guid.NewGuid():N}", role: Roles.Agent)); }
        catch (WebSocketException) { }
        return (socket.HttpStatusCode, socket);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets) socket.Dispose();
    }

    [Fact]
    public async Task A_tenant_socket_cap_written_through_admin_refuses_past_it_in_each_gateway_and_a_change_applies_to_new_sockets_only()
    {
        var tenant = NewTenant("sockets");
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant, """{"max_sockets":2}"""), InEffectWithin);

        var held = new List<ClientWebSocket>();
        foreach (var gateway in fixture.Gateways)
        {
            for (var i = 0; i < 2; i++)
            {
                var (status, socket) = await ConnectAsync(gateway, tenant);
                Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
                held.Add(socket);
            }
            var (refused, refusedSocket) = await ConnectAsync(gateway, tenant);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused);
            Assert.NotNull(refusedSocket.HttpResponseHeaders?["Retry-After"]);
            // Another tenant keeps the default cap.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, (await ConnectAsync(gateway, NewTenant("neighbour"))).Status);
        }

        // Raised: one more in each replica.
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant, """{"max_sockets":3}"""), InEffectWithin);
        foreach (var gateway in fixture.Gateways)
        {
            var (status, socket) = await ConnectAsync(gateway, tenant);
            Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
            held.Add(socket);
        }

        // Lowered below what is held: nothing held is cut, nothing new gets in until enough have closed.
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant, """{"max_sockets":1}"""), InEffectWithin);
        foreach (var gateway in fixture.Gateways)
            Assert.Equal(HttpStatusCode.TooManyRequests, (await ConnectAsync(gateway, tenant)).Status);
        for (var i = 0; i < held.Count; i++) await AssertEchoesAsync(held[i], $"held {i}");

        // Back to the default (5,000): room again.
        (await fixture.SendAdminAsync(HttpMethod.Delete, tenant)).EnsureSuccessStatusCode();
        foreach (var gateway in fixture.Gateways)
            await Eventually.GetAsync(async () => (await ConnectAsync(gateway, tenant)).Status, status => status == HttpStatusCode.SwitchingProtocols,
                "a socket let in after the document was deleted", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task A_tenant_visitor_token_bucket_applies_to_its_site_key_once_admin_has_named_the_tenant_for_it()
    {
        var tenant = NewTenant("visitors");
        var siteKey = "sk-" + tenant;
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant,
            """{"rate_limits":{"visitor_tokens":{"token_limit":2,"tokens_per_period":1,"period_seconds":600}}}"""), InEffectWithin);
        var gateway = fixture.Gateways[0];
        using var client = gateway.ClientFrom();

        async Task<HttpResponseMessage> SignInAsync(string key, string? tenantOfKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/visitor") { Content = JsonContent.Create(new { siteKey = key }) };
            if (tenantOfKey is not null) request.Headers.Add(Downstream.SignInTenantHeader, tenantOfKey);
            return await client.SendAsync(request);
        }

        // The first sign-in tells the gateway whose site key it is (Admin's answer names the tenant).
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(siteKey, tenant)).StatusCode);
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.OK, (await SignInAsync(siteKey, tenant)).StatusCode);
        var refused = await SignInAsync(siteKey, tenant);
        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("visitor-tokens-per-site-key", problem.GetProperty("limit").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(1), $"Retry-After {refused.Headers.RetryAfter}");
        // Another tenant's site key keeps the default bucket (2,000).
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await SignInAsync("sk-other-" + tenant, NewTenant("other"))).StatusCode);
    }
}
