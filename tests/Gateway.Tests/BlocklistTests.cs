using System.Net;
using System.Net.Http.Json;
using CustomerService.Gateway.Blocklist;
using CustomerService.TestInfrastructure;
using StackExchange.Redis;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class BlocklistTests(GatewayFixture fixture) : IDisposable
{
    private readonly HttpClient _admin = fixture.Gateway.ClientFrom();

    public void Dispose() => _admin.Dispose();

    private Task<HttpResponseMessage> BlockAsync(string ip, HttpClient? via = null) =>
        (via ?? _admin).SendAsync(HttpMethod.Post, "/api/gateway/blocklist", fixture.Tokens.Operator(), new { ip });

    private Task<HttpResponseMessage> UnblockAsync(string ip) =>
        _admin.SendAsync(HttpMethod.Delete, $"/api/gateway/blocklist/{ip}", fixture.Tokens.Operator());

    [Fact]
    public async Task An_address_blocked_at_run_time_gets_403_on_everything_until_unblocked()
    {
        using var blocked = fixture.Gateway.ClientFrom("127.0.0.41");
        using var bystander = fixture.Gateway.ClientFrom("127.0.0.42");
        Assert.Equal(HttpStatusCode.OK, (await blocked.GetAsync("/health", token: null)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await BlockAsync("127.0.0.41")).StatusCode);
        try
        {
            var refused = await blocked.GetAsync("/api/history/x", fixture.Tokens.Mint());
            Assert.Equal("Blocked", (await refused.ProblemAsync(HttpStatusCode.Forbidden)).GetProperty("title").GetString());
            await (await blocked.GetAsync("/health", token: null)).ProblemAsync(HttpStatusCode.Forbidden);
            await (await blocked.GetAsync("/api/history/x", token: null)).ProblemAsync(HttpStatusCode.Forbidden);
            Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync("/api/history/x", fixture.Tokens.Mint())).StatusCode);

            var list = await (await _admin.GetAsync("/api/gateway/blocklist", fixture.Tokens.Operator())).Content.ReadFromJsonAsync<BlocklistResponse>();
            Assert.Contains("127.0.0.41", list!.Blocked);
            Assert.Equal(HttpStatusCode.OK, (await BlockAsync("127.0.0.41")).StatusCode); // already there
        }
        finally
        {
            Assert.Equal(HttpStatusCode.NoContent, (await UnblockAsync("127.0.0.41")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await blocked.GetAsync("/api/history/x", fixture.Tokens.Mint())).StatusCode);
        await (await UnblockAsync("127.0.0.41")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Every_replica_follows_changes_by_message_and_by_periodic_reload()
    {
        await using var replica = fixture.StartGateway();
        using var viaReplica = replica.ClientFrom("127.0.0.43");
        async Task<bool> Refused() => (await viaReplica.GetAsync("/health", token: null)).StatusCode == HttpStatusCode.Forbidden;

        await BlockAsync("127.0.0.43");
        try
        {
            await Eventually.UntilAsync(Refused, "the other replica enforces the block", TimeSpan.FromSeconds(5));

            // Someone changes the set without announcing it (or the message was lost): the periodic reload catches up.
            var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
            await using (redis)
                await redis.GetDatabase().SetRemoveAsync(BlocklistStore.Key, "127.0.0.43");
            await Eventually.UntilAsync(async () => !await Refused(), "the replica reloads the changed set", TimeSpan.FromSeconds(5));
        }
        finally
        {
            await UnblockAsync("127.0.0.43");
        }
    }

    [Fact]
    public async Task Only_admins_edit_the_blocklist_and_addresses_are_checked()
    {
        var agent = fixture.Tokens.Mint();

        await (await _admin.SendAsync(HttpMethod.Post, "/api/gateway/blocklist", agent, new { ip = "127.0.0.44" })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _admin.GetAsync("/api/gateway/blocklist", fixture.Tokens.Supervisor())).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _admin.GetAsync("/api/gateway/blocklist", token: null)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await BlockAsync("not-an-address")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_shops_admin_cannot_touch_the_platform_wide_blocklist()
    {
        // The blocklist stops an address for every tenant (health probes included): only the operator tenant's admins.
        var shopAdmin = fixture.Tokens.Admin("demo");
        var refused = await (await _admin.SendAsync(HttpMethod.Post, "/api/gateway/blocklist", shopAdmin, new { ip = "127.0.0.45" }))
            .ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("operator tenant", refused.GetProperty("detail").GetString());
        await (await _admin.GetAsync("/api/gateway/blocklist", shopAdmin)).ProblemAsync(HttpStatusCode.Forbidden);
        await (await _admin.SendAsync(HttpMethod.Delete, "/api/gateway/blocklist/127.0.0.45", shopAdmin)).ProblemAsync(HttpStatusCode.Forbidden);
        var list = await (await _admin.GetAsync("/api/gateway/blocklist", fixture.Tokens.Operator())).Content.ReadFromJsonAsync<BlocklistResponse>();
        Assert.DoesNotContain("127.0.0.45", list!.Blocked);
    }

    [Fact]
    public void IPv4_clients_on_dual_stack_sockets_are_matched()
    {
        var list = new IpBlocklist();
        list.Replace([IPAddress.Parse("203.0.113.7")]);

        Assert.True(list.IsBlocked(IPAddress.Parse("::ffff:203.0.113.7")));
        Assert.False(list.IsBlocked(IPAddress.Parse("203.0.113.8")));
    }
}
