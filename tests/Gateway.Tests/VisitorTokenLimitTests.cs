using System.Net;
using System.Net.Http.Json;
using CustomerService.Gateway.RateLimiting;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Visitor sign-ins past their bucket, per client address or per site key, get 429 with Retry-After at the gateway,
/// and never reach the service that signs tokens (Admin, played by the downstream, which counts what reaches it).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class VisitorTokenLimitTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const int PerIp = 4;
    private const int PerSiteKey = 6;
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        // Buckets that refill one token a minute: what is spent in a test stays spent.
        _gateway = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["RateLimits:VisitorTokens:PerIp:TokenLimit"] = PerIp.ToString(),
            ["RateLimits:VisitorTokens:PerIp:TokensPerPeriod"] = "1",
            ["RateLimits:VisitorTokens:PerIp:ReplenishmentPeriod"] = "00:01:00",
            ["RateLimits:VisitorTokens:PerSiteKey:TokenLimit"] = PerSiteKey.ToString(),
            ["RateLimits:VisitorTokens:PerSiteKey:TokensPerPeriod"] = "1",
            ["RateLimits:VisitorTokens:PerSiteKey:ReplenishmentPeriod"] = "00:01:00",
            ["RateLimits:Allowances:0:Network"] = "127.0.9.0/24",
            ["RateLimits:Allowances:0:TokenLimit"] = "1000",
            ["RateLimits:Allowances:0:TokensPerPeriod"] = "1000",
            ["RateLimits:Allowances:0:VisitorTokens:TokenLimit"] = (PerIp * 2).ToString(),
            ["RateLimits:Allowances:0:VisitorTokens:TokensPerPeriod"] = "1",
            ["RateLimits:Allowances:0:VisitorTokens:ReplenishmentPeriod"] = "00:01:00",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static string Run() => "run=" + Guid.NewGuid().ToString("N")[..8];

    private async Task<HttpResponseMessage> SignInAsync(string source, string siteKey, string run, string path = "/api/auth/visitor", string? body = null)
    {
        using var client = _gateway.ClientFrom(source);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{path}?{run}")
        {
            Content = body is null ? JsonContent.Create(new { siteKey }) : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Past_its_bucket_an_address_gets_429_with_Retry_After_before_admin_and_another_address_is_unaffected()
    {
        var run = Run();
        for (var i = 0; i < PerIp; i++)
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync("127.0.0.51", $"sk-{run}-{i}", run)).StatusCode);

        var refused = await SignInAsync("127.0.0.51", $"sk-{run}-x", run);
        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("visitor-tokens-per-ip", problem.GetProperty("limit").GetString());
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single()), 1, 60);
        // The trailing-slash spelling Admin routes the same is counted the same.
        await (await SignInAsync("127.0.0.51", $"sk-{run}-y", run, "/api/auth/visitor/")).ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(PerIp, fixture.Downstream.Received($"/api/auth/visitor?{run}"));
        Assert.Equal(0, fixture.Downstream.Received($"/api/auth/visitor/?{run}"));

        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("127.0.0.52", $"sk-{run}-z", run)).StatusCode);
        // Agents' sign-ins are not visitor tokens.
        using var client = _gateway.ClientFrom("127.0.0.51");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { login = "alice" })).StatusCode);
    }

    [Fact]
    public async Task Past_its_bucket_a_site_key_gets_429_from_every_address_and_another_site_key_is_unaffected()
    {
        var run = Run();
        var siteKey = "sk-busy-" + run;
        for (var i = 0; i < PerSiteKey; i++)
        {
            // However the field is spelled, Admin's binding reads it: so does the gateway's count.
            var body = i % 2 == 0 ? null : $$"""{"visitorId":"v-1","SITEKEY":"{{siteKey}}"}""";
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync($"127.0.1.{10 + i}", siteKey, run, body: body)).StatusCode);
        }

        var refused = await SignInAsync("127.0.1.60", siteKey, run);
        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("visitor-tokens-per-site-key", problem.GetProperty("limit").GetString());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(PerSiteKey, fixture.Downstream.Received($"/api/auth/visitor?{run}"));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync("127.0.1.60", "sk-calm-" + run, run)).StatusCode);
    }

    [Fact]
    public async Task An_allowance_gives_its_network_a_visitor_bucket_of_its_own_and_still_refuses_past_it()
    {
        var run = Run();
        for (var i = 0; i < PerIp * 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync("127.0.9.21", $"sk-{run}-{i}", run)).StatusCode);
        await (await SignInAsync("127.0.9.21", $"sk-{run}-x", run)).ProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Theory]
    [InlineData("""{"siteKey":"demo-site-key"}""", "demo-site-key")]
    [InlineData("""{"visitorId":"v-1","identifier":{"nested":["siteKey"]},"sitekey":"a"}""", "a")]
    [InlineData("""{"siteKey":"first","siteKey":"last"}""", "last")]
    [InlineData("""{"siteKey":42}""", null)]
    [InlineData("""["siteKey"]""", null)]
    [InlineData("""{"siteKey":"unterminated""", null)]
    [InlineData("", null)]
    public void The_site_key_is_read_as_admin_binds_it(string body, string? siteKey) =>
        Assert.Equal(siteKey, VisitorTokenLimits.SiteKeyOf(System.Text.Encoding.UTF8.GetBytes(body)));
}
