using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.TestInfrastructure;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// The tenant's <c>gateway</c> section written through the real Admin API and enforced by two gateway replicas:
/// suspension, allowed origins for visitor sockets and sign-in, per-tenant rate limits; Admin down and back.
/// </summary>
[Collection(LiveGatewayCollection.Name)]
public sealed class LiveGatewayTests(LiveGatewayFixture fixture)
{
    private static readonly TimeSpan InEffectWithin = TimeSpan.FromSeconds(1);

    private static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>From Admin's answer to the PUT until <paramref name="inEffect"/> holds through every replica.</summary>
    private async Task<TimeSpan> MeasureAsync(Func<Task> change, Func<GatewayHost, Task<bool>> inEffect)
    {
        await change();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < fixture.Gateways.Length; i++)
        {
            var gateway = fixture.Gateways[i];
            await Eventually.UntilAsync(() => inEffect(gateway), $"the change in effect through gateway {i + 1} of {fixture.Gateways.Length}",
                TimeSpan.FromSeconds(5) - clock.Elapsed, TimeSpan.FromMilliseconds(5));
        }
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_suspension_made_through_admin_is_in_effect_in_both_gateways_within_a_second_and_lifted_as_fast()
    {
        var tenant = NewTenant("suspend");
        var token = fixture.Tokens.Mint(tenant: tenant, subject: "agent-1");
        var neighbour = fixture.Tokens.Mint(tenant: NewTenant("neighbour"), subject: "agent-1");
        async Task<HttpStatusCode> Status(GatewayHost g, string t)
        {
            using var client = g.ClientFrom();
            return (await client.GetAsync("/api/history/x", t)).StatusCode;
        }
        foreach (var g in fixture.Gateways) Assert.Equal(HttpStatusCode.OK, await Status(g, token));

        var suspended = await MeasureAsync(() => fixture.PutAsync(tenant, """{"suspended":true,"suspended_reason":"the invoice of May is unpaid"}"""),
            async g => await Status(g, token) == HttpStatusCode.Forbidden);

        foreach (var gateway in fixture.Gateways)
        {
            using var client = gateway.ClientFrom();
            var problem = await (await client.GetAsync("/api/history/x", token)).ProblemAsync(HttpStatusCode.Forbidden);
            Assert.Equal("Tenant suspended", problem.GetProperty("title").GetString());
            Assert.Contains("the invoice of May is unpaid", problem.GetProperty("detail").GetString());
            Assert.Equal(HttpStatusCode.OK, await Status(gateway, neighbour));
            // Its people cannot sign in either: Admin's answer names the tenant, and the gateway holds it back.
            using var login = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { login = "alice" }) };
            login.Headers.Add(Downstream.SignInTenantHeader, tenant);
            var refused = await client.SendAsync(login);
            await refused.ProblemAsync(HttpStatusCode.Forbidden);
            Assert.DoesNotContain("token-for-", await refused.Content.ReadAsStringAsync());
            // The same sign-in by another spelling of its path (Admin's routing takes them all) is refused too.
            foreach (var path in new[] { "/api/auth/visitor/", "/API/Auth/Visitor//" })
                await (await SignInAsync(client, tenant, "https://evil.example.net", path)).ProblemAsync(HttpStatusCode.Forbidden);
        }

        var lifted = await MeasureAsync(async () => (await fixture.SendAdminAsync(HttpMethod.Delete, tenant)).EnsureSuccessStatusCode(),
            async g => await Status(g, token) == HttpStatusCode.OK);

        Assert.True(suspended < InEffectWithin, $"suspension took {suspended.TotalMilliseconds:F0} ms");
        Assert.True(lifted < InEffectWithin, $"lifting took {lifted.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_visitor_socket_and_sign_in_from_an_origin_the_tenant_did_not_allow_are_refused()
    {
        var tenant = NewTenant("origins");
        var version = await fixture.PutAsync(tenant, """{"allowed_origins":["https://shop.example.com","https://*.example.org"]}""");
        await fixture.WaitForVersionAsync(version, InEffectWithin);
        var visitor = fixture.Tokens.Mint(tenant: tenant, subject: "v-0123456789abcdef0123456789abcdef", role: Roles.Visitor, name: "Visitor");
        var agent = fixture.Tokens.Mint(tenant: tenant, subject: "agent-1", role: Roles.Agent);

        foreach (var gateway in fixture.Gateways)
        {
            Assert.Equal(HttpStatusCode.Forbidden, await SocketAsync(gateway, "/ws/customer", visitor, "https://evil.example.net"));
            Assert.Equal(HttpStatusCode.Forbidden, await SocketAsync(gateway, "/ws/customer", visitor, "https://example.org"));
            Assert.Equal(HttpStatusCode.Forbidden, await SocketAsync(gateway, "/ws/customer", visitor, "null"));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await SocketAsync(gateway, "/ws/customer", visitor, "https://shop.example.com"));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await SocketAsync(gateway, "/ws/customer", visitor, "https://m.example.org"));
            // Not a browser (no Origin), and the gateway's own pages (/chat), are not cross-site.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await SocketAsync(gateway, "/ws/customer", visitor, null));
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await SocketAsync(gateway, "/ws/customer", visitor, $"http://{gateway.Address.Authority}"));
            // The agent console is the platform's own page: its sockets are not the widget's.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, await SocketAsync(gateway, "/ws/agent", agent, "https://evil.example.net"));

            using var client = gateway.ClientFrom();
            var refused = await SignInAsync(client, tenant, "https://evil.example.net");
            var problem = await refused.ProblemAsync(HttpStatusCode.Forbidden);
            Assert.Equal("Origin not allowed", problem.GetProperty("title").GetString());
            Assert.DoesNotContain("token-for-", await refused.Content.ReadAsStringAsync());
            // The same sign-in by another spelling of its path (Admin's routing takes them all) is refused too.
            foreach (var path in new[] { "/api/auth/visitor/", "/API/Auth/Visitor//" })
                await (await SignInAsync(client, tenant, "https://evil.example.net", path)).ProblemAsync(HttpStatusCode.Forbidden);
            var allowed = await SignInAsync(client, tenant, "https://shop.example.com");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("token-for-" + tenant, (await allowed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
            // Another tenant without a list: any origin.
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, NewTenant("open"), "https://evil.example.net")).StatusCode);
        }
    }

    [Fact]
    public async Task A_tenant_limit_replaces_the_default_for_its_tokens_and_a_raised_limit_applies_at_once()
    {
        var tenant = NewTenant("limits");
        var version = await fixture.PutAsync(tenant,
            """{"rate_limits":{"per_subject":{"token_limit":3,"tokens_per_period":1,"period_seconds":600},"per_tenant":{"token_limit":5,"tokens_per_period":1,"period_seconds":600}}}""");
        await fixture.WaitForVersionAsync(version, InEffectWithin);
        var gateway = fixture.Gateways[0];
        using var client = gateway.ClientFrom();
        var busy = fixture.Tokens.Mint(tenant: tenant, subject: "busy");
        var calm = fixture.Tokens.Mint(tenant: tenant, subject: "calm");
        var elsewhere = fixture.Tokens.Mint(tenant: NewTenant("elsewhere"), subject: "busy");

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", busy)).StatusCode);
        var perSubject = await client.GetAsync("/api/history/x", busy);
        await perSubject.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(perSubject.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        // The tenant's bucket holds five: the calm subject gets the two the busy one left.
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", calm)).StatusCode);
        await (await client.GetAsync("/api/history/x", calm)).ProblemAsync(HttpStatusCode.TooManyRequests);
        // Other tenants keep the gateway's defaults.
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", elsewhere)).StatusCode);

        var raised = await MeasureAsync(() => fixture.PutAsync(tenant,
                """{"rate_limits":{"per_subject":{"token_limit":100,"tokens_per_period":100}}}"""),
            async g =>
            {
                using var c = g.ClientFrom();
                return (await c.GetAsync("/api/history/x", busy)).StatusCode == HttpStatusCode.OK;
            });
        Assert.True(raised < InEffectWithin, $"took {raised.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Admin_refuses_an_invalid_gateway_document_by_field_and_nothing_changes()
    {
        var tenant = NewTenant("invalid");
        var before = await fixture.PutAsync(tenant, """{"allowed_origins":["https://shop.example.com"]}""");

        using var invalid = await fixture.SendAdminAsync(HttpMethod.Put, tenant,
            """{"allowed_origins":["https://shop.example.com/widget"],"rate_limits":{"per_subject":{"token_limit":0,"tokens_per_period":5}}}""");
        using var unknown = await fixture.SendAdminAsync(HttpMethod.Put, tenant, """{"suspend":true}""");

        var errors = (await invalid.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("allowed_origins[0]", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("rate_limits.per_subject.token_limit", out _), errors.ToString());
        Assert.Contains("suspend", (await unknown.ProblemAsync(HttpStatusCode.BadRequest)).ToString());
        using var current = await fixture.SendAdminAsync(HttpMethod.Get, tenant);
        Assert.Equal($"\"{before}\"", current.Headers.ETag?.Tag);
        Assert.Equal(["https://shop.example.com"], (await current.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("allowed_origins").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task With_admin_down_the_gateways_keep_the_last_configuration_say_so_in_health_and_catch_up_when_it_returns()
    {
        var tenant = NewTenant("outage");
        var token = fixture.Tokens.Mint(tenant: tenant, subject: "agent-1");
        var kept = await fixture.PutAsync(tenant, """{"suspended":true}""");
        await fixture.WaitForVersionAsync(kept, InEffectWithin);

        await fixture.StopAdminAsync();
        try
        {
            // The signal that a gateway noticed: its health says Degraded. Then it must still run with what it had.
            await Eventually.UntilAsync(async () =>
            {
                foreach (var gateway in fixture.Gateways)
                {
                    using var client = gateway.ClientFrom();
                    using var health = await client.GetAsync("/health", token: null);
                    if (await health.Content.ReadAsStringAsync() != "Degraded") return false;
                }
                return true;
            }, "both gateways report Degraded with Admin down", TimeSpan.FromSeconds(5));
            foreach (var gateway in fixture.Gateways)
            {
                using var client = gateway.ClientFrom();
                await (await client.GetAsync("/api/history/x", token)).ProblemAsync(HttpStatusCode.Forbidden);
                var health = await client.GetAsync("/health", token: null);
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
                Assert.Equal(kept, LiveGatewayFixture.Live(gateway).Current.Version);
            }
        }
        finally
        {
            await fixture.StartAdminAsync();
        }

        var lifted = await fixture.PutAsync(tenant, """{"suspended":false}""");
        // Reconnect backoff is capped at 1 s in these replicas.
        await fixture.WaitForVersionAsync(lifted, TimeSpan.FromSeconds(5));
        foreach (var gateway in fixture.Gateways)
        {
            using var client = gateway.ClientFrom();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", token)).StatusCode);
            Assert.Equal("Healthy", await (await client.GetAsync("/health", token: null)).Content.ReadAsStringAsync());
        }
    }

    private static async Task<HttpStatusCode> SocketAsync(GatewayHost gateway, string path, string token, string? origin)
    {
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        if (origin is not null) socket.Options.SetRequestHeader("Origin", origin);
        try
        {
            await socket.ConnectAsync(gateway.SocketUri($"{path}?access_token={token}"), CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException) { }
        return socket.HttpStatusCode;
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string tenant, string origin, string path = "/api/auth/visitor")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { siteKey = "sk" }) };
        request.Headers.Add(Downstream.SignInTenantHeader, tenant);
        request.Headers.Add("Origin", origin);
        return await client.SendAsync(request);
    }
}
