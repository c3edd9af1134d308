using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CustomerService.Contracts;
using CustomerService.Gateway.Auth;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Yarp.ReverseProxy.Configuration;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Issue 15: the authorization matrix, role × route × tenant, made from the gateway's own route table (its YARP
/// routes as loaded and the endpoints it maps itself), so a route is covered the day it is added: a route that declares
/// no access fails <see cref="Every_route_of_the_gateway_declares_who_may_reach_it"/>, and a declared one gets its
/// cases. What each policy admits is <see cref="AccessPolicies.Rules"/>; the expectation below reads that data, the
/// gateway's handlers decide, and every case goes through the real gateway to the downstream.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthorizationMatrixTests(GatewayFixture fixture) : IDisposable
{
    /// <summary>The tenant the callers belong to, and the one a path or query names instead.</summary>
    private const string Own = "demo", Other = "acme";

    private const string Anonymous = "anonymous", OperatorAdmin = "operator-admin";
    private static readonly string[] Callers = [Anonymous, Roles.Visitor, Roles.Agent, Roles.Supervisor, Roles.Admin, OperatorAdmin];

    /// <summary>How a case names a tenant: not at all (routes without a {tenant} segment), its own, or another.</summary>
    private const string NoTenant = "none", OwnTenant = "own", OtherTenant = "other";

    private readonly HttpClient _client = fixture.Gateway.ClientFrom();

    public void Dispose() => _client.Dispose();

    public static TheoryData<string, string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string, string>();
        foreach (var route in GatewayRoute.OfTheGateway.Where(r => r.Declared))
            foreach (var method in route.MatrixMethods)
                foreach (var caller in Callers)
                    foreach (var tenant in route.NamesTenantInPath ? [OwnTenant, OtherTenant] : (string[])[NoTenant, OwnTenant, OtherTenant])
                        cases.Add(route.Name, method, caller, tenant);
        return cases;
    }

    /// <summary>Every protected route and method (a sample of one caller each, the full product is the matrix above).</summary>
    public static TheoryData<string, string, string> DeadTokenCases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (var route in GatewayRoute.OfTheGateway.Where(r => r.Declared && r.Access is not (AccessPolicies.Anonymous or GatewayRoute.HealthProbe)))
            foreach (var method in route.MatrixMethods)
                foreach (var token in (string[])["expired", "revoked"])
                    cases.Add(route.Name, method, token);
        return cases;
    }

    [Fact]
    public void Every_route_of_the_gateway_declares_who_may_reach_it()
    {
        var routes = GatewayRoute.Of(fixture.Gateway.Services);

        var undeclared = routes.Where(r => !r.Declared).ToList();
        Assert.True(undeclared.Count == 0,
            "Routes whose access nobody declared (name a policy of AccessPolicies.Rules, or \"anonymous\" for a public one): "
            + string.Join("; ", undeclared));
        // The YARP routes are read from the endpoints: each route of the configuration the gateway loaded is among them.
        var loaded = fixture.Gateway.Services.GetRequiredService<IProxyConfigProvider>().GetConfig().Routes.Select(r => "route " + r.RouteId);
        Assert.Subset(routes.Select(r => r.Name).ToHashSet(), loaded.ToHashSet());
        Assert.Contains(routes, r => r.Pattern.StartsWith("/api/gateway/blocklist", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Access == GatewayRoute.HealthProbe);
    }

    [Fact]
    public void The_matrix_covers_the_routes_of_the_gateway_under_test()
    {
        Assert.Equal(GatewayRoute.Of(fixture.Gateway.Services).Select(r => r.ToString()), GatewayRoute.OfTheGateway.Select(r => r.ToString()));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_route_admits_whom_its_policy_declares_and_passes_on_the_tokens_tenant(string route, string method, string caller, string tenant)
    {
        var declared = Route(route);
        var named = tenant switch { OwnTenant => TenantOf(caller), OtherTenant => Other, _ => null };
        var path = declared.SamplePath(named ?? Own);
        if (named is not null && !declared.NamesTenantInPath) path += "?" + SameTenantRequirement.Parameter + "=" + named;

        using var response = await SendAsync(method, path, TokenOf(caller));

        var expected = Expect(declared, method, caller, tenant);
        var body = await response.Content.ReadAsStringAsync();
        var what = $"{method} {path} as {caller}: expected {expected}, got {(int)response.StatusCode} {body}";
        if (expected != HttpStatusCode.OK)
        {
            Assert.True(expected == response.StatusCode, what);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return;
        }
        if (!declared.Proxied)
        {
            // The gateway answers itself (the blocklist API refuses the sample's address; a probe says how it is).
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound), what);
            return;
        }
        Assert.True(response.StatusCode == HttpStatusCode.OK, what);
        var seen = (await response.Content.ReadFromJsonAsync<Seen>(System.Text.Json.JsonSerializerOptions.Web))!;
        Assert.Equal(path.Split('?')[0], seen.Path);
        Assert.Equal(method, seen.Method);
        // The identity the service is told is the token's, never the tenant the path or query names.
        Assert.Equal(caller == Anonymous ? null : TenantOf(caller), seen.Header(IdentityHeaders.Tenant));
        Assert.Equal(caller == Anonymous ? null : RoleOf(caller), seen.Header(IdentityHeaders.Role));
        Assert.Equal(caller != Anonymous, seen.Header(IdentitySignature.Header) is not null);
    }

    [Theory]
    [MemberData(nameof(DeadTokenCases))]
    public async Task An_expired_or_revoked_token_gets_401_on_every_protected_route(string route, string method, string token)
    {
        var path = Route(route).SamplePath(Own);
        var dead = token == "expired"
            // The operator's admin, who may do everything: only the token's death can refuse it.
            ? fixture.Tokens.Mint(Operator, "admin-1", Roles.Admin, "Ada", issuedAt: DateTimeOffset.UtcNow.AddHours(-2), lifetime: TimeSpan.FromHours(1))
            : await RevokedTokenAsync();

        using var response = await SendAsync(method, path, dead);

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains(token == "expired" ? "expired" : "revoked", response.Headers.WwwAuthenticate.ToString());
    }

    private string Operator => fixture.Gateway.Services.GetRequiredService<IOptions<GatewayAuthOptions>>().Value.OperatorTenant;

    /// <summary>200 for passed through (or answered by the gateway's own endpoint), else the refusal.</summary>
    private HttpStatusCode Expect(GatewayRoute route, string method, string caller, string tenant)
    {
        if (route.Access == AccessPolicies.Anonymous) return HttpStatusCode.OK;
        if (route.Access == GatewayRoute.HealthProbe && caller == Anonymous) return HttpStatusCode.OK;
        if (caller == Anonymous) return HttpStatusCode.Unauthorized;
        if (tenant == OtherTenant) return HttpStatusCode.Forbidden;
        var rule = AccessPolicies.Rules[route.Access == GatewayRoute.HealthProbe ? AccessPolicies.AnyToken : route.Access!];
        if (rule.OperatorTenantOnly && TenantOf(caller) != Operator) return HttpStatusCode.Forbidden;
        var role = RoleOf(caller);
        var reads = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (!rule.AnyRole && !rule.Roles.Contains(role) && !(reads && rule.ReadOnlyRoles.Contains(role))) return HttpStatusCode.Forbidden;
        return HttpStatusCode.OK;
    }

    private GatewayRoute Route(string name) => GatewayRoute.Of(fixture.Gateway.Services).SingleOrDefault(r => r.Name == name)
        ?? throw new InvalidOperationException($"The gateway under test has no {name}.");

    private string TenantOf(string caller) => caller == OperatorAdmin ? Operator : Own;

    private static string RoleOf(string caller) => caller == OperatorAdmin ? Roles.Admin : caller;

    private string? TokenOf(string caller) => caller switch
    {
        Anonymous => null,
        OperatorAdmin => fixture.Tokens.Admin(Operator),
        Roles.Visitor => fixture.Tokens.Visitor(),
        Roles.Supervisor => fixture.Tokens.Supervisor(),
        Roles.Admin => fixture.Tokens.Admin(Own),
        _ => fixture.Tokens.Mint(Own, subject: "agent-1", role: caller),
    };

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? token)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // A body the blocklist API refuses (not an address): a write that passes changes nothing.
        if (method is "POST" or "PUT" or "PATCH") request.Content = JsonContent.Create(new { ip = "matrix" });
        return await _client.SendAsync(request);
    }

    private static readonly SemaphoreSlim RevokeOnce = new(1, 1);
    private static string? _revoked;

    /// <summary>
    /// An operator admin's token whose account Admin has revoked: announced through the fixture's Redis as Admin does,
    /// once, and waited for until the gateway refuses it.
    /// </summary>
    private async Task<string> RevokedTokenAsync()
    {
        await RevokeOnce.WaitAsync();
        try
        {
            if (_revoked is not null) return _revoked;
            var account = "matrix-revoked-" + Guid.NewGuid().ToString("N");
            var token = fixture.Tokens.Mint(Operator, account, Roles.Admin, "Revoked", tokenVersion: 1);
            await using (var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString))
                await new TokenRevocationStore(redis).AnnounceAsync(new TokenRevocation(Operator, account, 2, DateTimeOffset.UtcNow.AddHours(2)));
            await Eventually.UntilAsync(async () =>
            {
                using var response = await SendAsync("GET", "/api/admin/matrix", token);
                return response.StatusCode == HttpStatusCode.Unauthorized;
            }, "the gateway refuses the revoked token", TimeSpan.FromSeconds(10));
            return _revoked = token;
        }
        finally { RevokeOnce.Release(); }
    }
}
