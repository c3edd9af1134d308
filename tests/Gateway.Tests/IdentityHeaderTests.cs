using CustomerService.Contracts;
using CustomerService.TestInfrastructure;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class IdentityHeaderTests(GatewayFixture fixture) : IDisposable
{
    private readonly HttpClient _client = fixture.Gateway.ClientFrom();

    public void Dispose() => _client.Dispose();

    private static HttpRequestMessage Spoofed(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        request.Headers.Add(IdentityHeaders.Tenant, "acme");
        request.Headers.Add(IdentityHeaders.User, "root");
        request.Headers.Add(IdentityHeaders.Role, Roles.Admin);
        request.Headers.Add(IdentityHeaders.Name, "Mallory");
        request.Headers.Add(IdentityHeaders.SkillGroups, "vip");
        request.Headers.Add("x-cs-role", "admin"); // header names are case-insensitive: this is the same header
        request.Headers.Add(IdentitySignature.Header, IdentitySignature.Sign(new byte[32], new("acme", "root", Roles.Admin, "Mallory", "vip", null), DateTimeOffset.UtcNow));
        return request;
    }

    [Fact]
    public async Task Spoofed_identity_headers_are_replaced_by_the_token_values()
    {
        var token = fixture.Tokens.Mint(tenant: "demo", subject: "agent-42", role: Roles.Agent, name: "Zoë 张伟");

        var seen = await (await _client.SendAsync(Spoofed("/api/history/conversations", token))).SeenAsync();

        Assert.Equal("demo", seen.Header(IdentityHeaders.Tenant));
        Assert.Equal("agent-42", seen.Header(IdentityHeaders.User));
        Assert.Equal(Roles.Agent, seen.Header(IdentityHeaders.Role));
        Assert.Equal("Zo%C3%AB%20%E5%BC%A0%E4%BC%9F", seen.Header(IdentityHeaders.Name));
        Assert.Equal("Zoë 张伟", Uri.UnescapeDataString(seen.Header(IdentityHeaders.Name)!));
        Assert.Null(seen.Header(IdentityHeaders.SkillGroups)); // this token has no skills claim
    }

    [Fact]
    public async Task An_agent_skill_groups_come_from_the_token()
    {
        var token = fixture.Tokens.Mint(subject: "agent-43", skills: ["general", "vip"]);

        var seen = await (await _client.SendAsync(Spoofed("/api/history/conversations", token))).SeenAsync();

        Assert.Equal("general,vip", seen.Header(IdentityHeaders.SkillGroups));
        Assert.Equal("general", (await (await _client.SendAsync(Spoofed("/api/history/x", fixture.Tokens.Mint(skills: ["general"])))).SeenAsync())
            .Header(IdentityHeaders.SkillGroups));
    }

    [Fact]
    public async Task The_identity_passed_on_is_signed_with_the_internal_key_in_place_of_the_clients_signature()
    {
        var token = fixture.Tokens.Mint(subject: "agent-44", skills: ["general", "vip"], tokenVersion: 3);

        var seen = await (await _client.SendAsync(Spoofed("/api/history/conversations", token))).SeenAsync();

        var identity = new IdentityHeaderValues(seen.Header(IdentityHeaders.Tenant), seen.Header(IdentityHeaders.User), seen.Header(IdentityHeaders.Role),
            seen.Header(IdentityHeaders.Name), seen.Header(IdentityHeaders.SkillGroups), seen.Header(IdentityHeaders.TokenVersion));
        Assert.Equal("3", identity.TokenVersion);
        Assert.Equal(IdentitySignatureCheck.Valid, IdentitySignature.Verify(TestIdentity.Key, seen.Header(IdentitySignature.Header), identity, DateTimeOffset.UtcNow));
        Assert.Equal(IdentitySignatureCheck.Mismatch, IdentitySignature.Verify(TestIdentity.Key, seen.Header(IdentitySignature.Header),
            identity with { Role = Roles.Admin }, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Anonymous_routes_get_no_identity_headers_at_all()
    {
        foreach (var path in new[] { "/api/auth/login", "/agent/index.html" })
        {
            var seen = await (await _client.SendAsync(Spoofed(path, token: null))).SeenAsync();

            Assert.All(IdentityHeaders.All, name => Assert.Null(seen.Header(name)));
            Assert.Null(seen.Header(IdentitySignature.Header));
        }
    }
}
