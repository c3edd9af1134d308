using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture) : IDisposable
{
    private readonly HttpClient _client = fixture.Gateway.ClientFrom();

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("/api/history/conversations")]
    [InlineData("/api/admin/agents")]
    [InlineData("/ws/agent")]
    [InlineData("/ws/other")]
    public async Task Without_a_token_the_apis_and_sockets_are_401(string path)
    {
        var response = await _client.GetAsync(path, token: null);

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("needs an access token", problem.GetProperty("detail").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Auth_pages_and_health_need_no_token()
    {
        Assert.Equal("/api/auth/login", (await (await _client.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { })).SeenAsync()).Path);
        Assert.Equal("/agent/index.html", (await (await _client.GetAsync("/agent/index.html", token: null)).SeenAsync()).Path);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health", token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/alive", token: null)).StatusCode);
    }

    [Fact]
    public async Task A_valid_token_passes()
    {
        var seen = await (await _client.GetAsync("/api/history/conversations", fixture.Tokens.Mint())).SeenAsync();

        Assert.Equal("/api/history/conversations", seen.Path);
    }

    public static TheoryData<string, string> Forged => new()
    {
        { "wrong signing key", new Tokens(RandomNumberGenerator.GetBytes(32)).Mint() },
        { "signed with an all-zero key", new Tokens(new byte[32]).Mint() },
        { "garbage", "not.a.token" },
        { "unsigned", UnsignedToken() },
    };

    [Theory]
    [MemberData(nameof(Forged))]
    public async Task A_forged_token_is_401(string kind, string token)
    {
        var response = await _client.GetAsync("/api/history/conversations", token);

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not valid", problem.GetProperty("detail").GetString());
        Assert.True(response.Headers.WwwAuthenticate.ToString().Contains("invalid_token"), kind);
    }

    [Fact]
    public async Task A_token_for_another_issuer_or_audience_is_401()
    {
        var otherIssuer = fixture.Tokens.Mint(issuer: "someone-else");
        var otherAudience = fixture.Tokens.Mint(audience: "another-product");

        await (await _client.GetAsync("/api/history/x", otherIssuer)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await _client.GetAsync("/api/history/x", otherAudience)).ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_is_refused_once_the_gateway_clock_passes_its_expiry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = fixture.StartGateway(time: clock);
        using var client = gateway.ClientFrom();
        var token = fixture.Tokens.Mint(issuedAt: clock.GetUtcNow(), lifetime: TimeSpan.FromHours(8));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", token)).StatusCode);
        clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(20)); // inside the 30 s clock skew
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", token)).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(20));

        var response = await client.GetAsync("/api/history/x", token);
        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.GetProperty("detail").GetString());
        Assert.Contains("The token expired", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_from_the_future_is_401()
    {
        var token = fixture.Tokens.Mint(issuedAt: DateTimeOffset.UtcNow.AddMinutes(10));

        await (await _client.GetAsync("/api/history/x", token)).ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void Without_a_signing_key_the_gateway_refuses_to_start_and_says_why()
    {
        var error = Assert.ThrowsAny<Exception>(() => fixture.StartGateway(new Dictionary<string, string?> { ["Auth:SigningKey"] = "" }));

        Assert.Contains("Auth:SigningKey is missing", (error.InnerException ?? error).Message);
    }

    [Theory]
    [InlineData("", "Auth:InternalKey is missing")]
    [InlineData("not base64!", "Auth:InternalKey is not valid base64")]
    [InlineData("c2hvcnQta2V5", "Auth:InternalKey has 9 bytes")]
    public void Without_a_good_internal_key_the_gateway_refuses_to_start_and_says_why(string key, string message)
    {
        var error = Assert.ThrowsAny<Exception>(() => fixture.StartGateway(new Dictionary<string, string?> { ["Auth:InternalKey"] = key }));

        Assert.Contains(message, (error.InnerException ?? error).Message);
    }

    private static string UnsignedToken()
    {
        static string Encode(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return Encode("""{"alg":"none","typ":"JWT"}""") + "." +
               Encode($$"""{"iss":"customer-service","aud":"customer-service","sub":"x","tenant":"demo","role":"admin","exp":{{exp}}}""") + ".";
    }
}
