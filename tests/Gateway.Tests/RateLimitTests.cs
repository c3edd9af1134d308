using System.Net;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const int PerIp = 8;
    private const int PerSubject = 3;
    private GatewayHost _gateway = null!;

    public Task InitializeAsync()
    {
        // Buckets that refill one request a minute: what is spent in a test stays spent.
        _gateway = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["RateLimits:PerIp:Enabled"] = "true",
            ["RateLimits:PerIp:TokenLimit"] = PerIp.ToString(),
            ["RateLimits:PerIp:TokensPerPeriod"] = "1",
            ["RateLimits:PerIp:ReplenishmentPeriod"] = "00:01:00",
            ["RateLimits:PerSubject:TokenLimit"] = PerSubject.ToString(),
            ["RateLimits:PerSubject:TokensPerPeriod"] = "1",
            ["RateLimits:PerSubject:ReplenishmentPeriod"] = "00:01:00",
            // The load source's allowance: its own, larger bucket (the AppHost gives loopback one in local runs).
            ["RateLimits:Allowances:0:Network"] = "127.0.9.0/24",
            ["RateLimits:Allowances:0:TokenLimit"] = (PerIp * 4).ToString(),
            ["RateLimits:Allowances:0:TokensPerPeriod"] = "1",
            ["RateLimits:Allowances:0:ReplenishmentPeriod"] = "00:01:00",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task One_token_subject_is_held_to_its_limit_and_told_when_to_retry()
    {
        using var client = _gateway.ClientFrom("127.0.0.31");
        var token = fixture.Tokens.Mint(subject: "busy-agent");

        for (var i = 0; i < PerSubject; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", token)).StatusCode);
        var refused = await client.GetAsync("/api/history/x", token);

        await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
        // Others from the same address, and the same id in another tenant, are not held back by this one.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", fixture.Tokens.Mint(subject: "calm-agent"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", fixture.Tokens.Mint(tenant: "acme", subject: "busy-agent"))).StatusCode);
    }

    [Fact]
    public async Task One_client_address_is_held_to_its_limit_even_without_a_token()
    {
        using var noisy = _gateway.ClientFrom("127.0.0.33");
        using var other = _gateway.ClientFrom("127.0.0.34");

        for (var i = 0; i < PerIp; i++)
            Assert.Equal(HttpStatusCode.OK, (await noisy.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { })).StatusCode);
        var refused = await noisy.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { });

        await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { })).StatusCode);
    }

    [Fact]
    public async Task An_allowed_network_gets_its_own_larger_bucket_and_is_still_told_429_past_it()
    {
        using var loadSource = _gateway.ClientFrom("127.0.9.5");
        for (var i = 0; i < PerIp * 4; i++)
            Assert.Equal(HttpStatusCode.OK, (await loadSource.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { })).StatusCode);
        var refused = await loadSource.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { });
        await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        // Each address of the network has its own bucket: the allowance is per address, not shared.
        using var neighbour = _gateway.ClientFrom("127.0.9.6");
        Assert.Equal(HttpStatusCode.OK, (await neighbour.SendAsync(HttpMethod.Post, "/api/auth/login", null, new { })).StatusCode);
    }
}
