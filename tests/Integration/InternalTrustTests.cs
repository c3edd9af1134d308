using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using CustomerService.Contracts;

namespace CustomerService.Integration;

/// <summary>
/// Every service of the running platform at its own HTTP port, the gateway bypassed, as anyone on the network could
/// reach it: forged identity headers get 401, the gateway's signature under the key the AppHost generated is served,
/// and the same signature a minute and a second old is not.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class InternalTrustTests(PlatformFixture platform)
{
    private static readonly IdentityHeaderValues DemoAdmin = new(Accounts.Tenant, "admin-of-demo", Roles.Admin, "Ada", null, null);

    /// <summary>Each service and a path that reads the caller's identity (health where the service has no such API).</summary>
    public static TheoryData<string, string> Services => new()
    {
        { "admin", "/api/admin/agents" },
        { "routing", "/api/routing/agents" },
        { "historywriter", "/api/history/search?q=hello" },
        { "webhooks", "/api/admin/webhooks" },
        { "session", "/health" },
        { "bot", "/health" },
        { "crm", "/health" },
        { "orders", "/health" },
        { "web", "/health" },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task A_request_straight_to_the_service_port_needs_the_gateways_fresh_signature(string service, string path)
    {
        using var http = platform.App.CreateHttpClient(service, "http");
        var key = platform.InternalKey();

        using var forged = await SendAsync(http, path, signature: null);
        using var otherKey = await SendAsync(http, path, IdentitySignature.Sign(new byte[32], DemoAdmin, DateTimeOffset.UtcNow));
        using var replayed = await SendAsync(http, path, IdentitySignature.Sign(key, DemoAdmin, DateTimeOffset.UtcNow.AddSeconds(-61)));
        using var signed = await SendAsync(http, path, IdentitySignature.Sign(key, DemoAdmin, DateTimeOffset.UtcNow));

        await AssertRefusedAsync(forged, "missing");
        await AssertRefusedAsync(otherKey, "mismatch");
        await AssertRefusedAsync(replayed, "expired");
        Assert.True(signed.StatusCode == HttpStatusCode.OK, $"{service} {path}: {(int)signed.StatusCode} {await signed.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Through_the_gateway_the_same_reads_are_served_with_a_token()
    {
        using var gateway = platform.Gateway();
        var (token, _) = await platform.LoginAsync("admin", "admin123");

        foreach (var path in new[] { "/api/admin/agents", "/api/routing/agents", "/api/history/search?q=hello", "/api/admin/webhooks" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new("Bearer", token) } };
            using var response = await gateway.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(IdentityHeaders.Tenant, DemoAdmin.Tenant);
        request.Headers.Add(IdentityHeaders.User, DemoAdmin.User);
        request.Headers.Add(IdentityHeaders.Role, DemoAdmin.Role);
        request.Headers.Add(IdentityHeaders.Name, DemoAdmin.Name);
        if (signature is not null) request.Headers.TryAddWithoutValidation(IdentitySignature.Header, signature);
        return await http.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string reason)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Identity not verified", problem.GetProperty("title").GetString());
        Assert.Equal(reason, problem.GetProperty("reason").GetString());
    }
}
