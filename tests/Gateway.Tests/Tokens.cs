using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.Gateway.Tests;

/// <summary>Mints tokens the way Admin does, and forged or expired ones the way attackers and clocks do.</summary>
public sealed class Tokens(byte[] signingKey)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public byte[] SigningKey { get; } = signingKey;

    public string Mint(
        string tenant = "demo", string subject = "agent-1", string role = Roles.Agent, string name = "Alice",
        DateTimeOffset? issuedAt = null, TimeSpan? lifetime = null,
        string issuer = PlatformClaims.Issuer, string audience = PlatformClaims.Audience, byte[]? key = null, string[]? skills = null,
        string? keyId = null, int? tokenVersion = null)
    {
        var iat = issuedAt ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            [PlatformClaims.Subject] = subject,
            [PlatformClaims.Tenant] = tenant,
            [PlatformClaims.Role] = role,
            [PlatformClaims.Name] = name,
        };
        if (skills is not null) claims[PlatformClaims.SkillGroups] = skills;
        if (tokenVersion is { } version) claims[PlatformClaims.TokenVersion] = version;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = iat.UtcDateTime,
            NotBefore = iat.UtcDateTime,
            Expires = (iat + (lifetime ?? TimeSpan.FromHours(1))).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? SigningKey) { KeyId = keyId }, SecurityAlgorithms.HmacSha256),
        });
    }

    public string Admin(string tenant = "demo") => Mint(tenant, "admin-1", Roles.Admin, "Ada");
    /// <summary>An admin of the operator tenant, who runs the platform (the gateway's blocklist).</summary>
    public string Operator() => Admin("platform");
    public string Supervisor() => Mint(subject: "supervisor-1", role: Roles.Supervisor, name: "Sam");
    public string Visitor() => Mint(subject: "v-0123456789abcdef0123456789abcdef", role: Roles.Visitor, name: "Visitor 012345");
}

internal static class Http
{
    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> GetAsync(this HttpClient client, string path, string? token) =>
        client.SendAsync(HttpMethod.Get, path, token);

    public static async Task<Seen> SeenAsync(this HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<Seen>(JsonSerializerOptions.Web))!;
    }

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
