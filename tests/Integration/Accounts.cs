using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CustomerService.Integration;

/// <summary>Tokens the way the pages get them: through the gateway's /api/auth endpoints, for the seeded demo tenant.</summary>
public static class Accounts
{
    public const string Tenant = "demo";
    public const string SiteKey = "demo-site-key";

    public static async Task<(string Token, string Id)> LoginAsync(this PlatformFixture platform, string login, string password)
    {
        using var gateway = platform.Gateway();
        using var response = await gateway.PostAsJsonAsync("/api/auth/login", new { tenant = Tenant, login, password });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"login {login}: {(int)response.StatusCode} {body}");
        var json = JsonNode.Parse(body)!;
        return ((string)json["accessToken"]!, (string)json["accountId"]!);
    }

    public static async Task<(string Token, string VisitorId)> VisitorAsync(this PlatformFixture platform, string? visitorSecret = null)
    {
        using var gateway = platform.Gateway();
        using var response = await gateway.PostAsJsonAsync("/api/auth/visitor", new { siteKey = SiteKey, visitorSecret });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"visitor token: {(int)response.StatusCode} {body}");
        var json = JsonNode.Parse(body)!;
        return ((string)json["accessToken"]!, (string)json["visitorId"]!);
    }

    public static async Task<ChatClient> CustomerSocketAsync(this PlatformFixture platform, string token) =>
        await ChatClient.ConnectAsync(platform.Gateway().BaseAddress!, "/ws/customer", token);

    public static async Task<ChatClient> AgentSocketAsync(this PlatformFixture platform, string token) =>
        await ChatClient.ConnectAsync(platform.Gateway().BaseAddress!, "/ws/agent", token);
}
