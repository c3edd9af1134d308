using System.Text.Json.Nodes;
using CustomerService.AdapterKit.Php;
using CustomerService.Contracts;
using CustomerService.Crm.Profiles;
using CustomerService.TestInfrastructure;
using Grpc.Core;
using StackExchange.Redis;
using Xunit;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>The PHP CRM simulator, a real Redis and the adapter, shared by the tests of one class.</summary>
public sealed class CrmAdapterFixture : IAsyncLifetime
{
    public RedisServer Redis { get; private set; } = null!;
    public PhpCrmSimulator Simulator { get; private set; } = null!;
    public CrmHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        Simulator = await PhpCrmSimulator.StartAsync();
        // A breaker that never opens here: these tests ask for failing customers on purpose.
        Host = await CrmHost.StartAsync(Simulator.BaseUrl, Redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Crm:Resilience:MinimumThroughput"] = "1000",
            ["Crm:Resilience:RetryBaseDelay"] = "00:00:00.010",
        });
        // The first call of a process compiles its code paths: not what these tests are about.
        await Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "warm-up", CustomerId = "c-1" },
            deadline: DateTime.UtcNow.AddSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Simulator.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

public class CrmAdapterTests(CrmAdapterFixture fixture) : IClassFixture<CrmAdapterFixture>
{
    private static CallOptions Deadline(int seconds = 15) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    private async Task<JsonNode> RawRecordAsync(string customerId)
    {
        using var http = new HttpClient();
        var serialized = await http.GetByteArrayAsync($"{fixture.Simulator.BaseUrl}/customers/{customerId}");
        return PhpSerialized.ToJsonNode(serialized)!;
    }

    [Fact]
    public async Task GetProfile_maps_the_CRM_record_with_the_default_mapping()
    {
        int vips = 0, chinese = 0;
        for (int i = 1; i <= 30; i++)
        {
            string id = $"c-{1000 + i}";
            var record = await RawRecordAsync(id);
            var profile = await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "t-default", CustomerId = id }, Deadline());

            Assert.Equal(Availability.Live, profile.Availability);
            Assert.Equal(id, profile.CustomerId);
            Assert.Equal((string?)record["name"], profile.Name);
            Assert.Equal((string?)record["contact"]!["phone"], profile.Phone);
            Assert.Equal((string?)record["contact"]!["email"], profile.Email);
            string expectedTier = (int)record["member_level"]! switch { 3 => "vip", 2 => "gold", _ => "standard" };
            Assert.Equal(expectedTier, profile.Tier);
            Assert.Equal((string?)record["addresses"]![0]!["city"], profile.Attributes["city"]);
            Assert.Equal((string?)record["addresses"]![0]!["street"], profile.Attributes["billing_street"]); // a PHP reference
            Assert.Equal(string.Join(", ", record["tags"]!.AsArray().Select(t => (string?)t)), profile.Attributes["tags"]);
            Assert.Equal((string?)record["profile"]!["source"], profile.Attributes["source"]);                 // a stdClass
            Assert.Equal("retail", profile.Attributes["segment"]);                                               // a class with private members
            Assert.Equal(expectedTier == "vip" ? "INF" : "5000", profile.Attributes["credit_limit"]);
            Assert.Equal(string.IsNullOrEmpty((string?)record["contact"]!["wechat"]), !profile.Attributes.ContainsKey("wechat"));
            if (profile.Tier == "vip") vips++;
            if (profile.Name.Any(c => c >= '\u4e00' && c <= '\u9fff')) chinese++;
        }
        Assert.True(vips > 0, "no VIP among 30 generated customers");
        Assert.True(chinese > 0, "no Chinese name among 30 generated customers");
    }

    [Fact]
    public async Task A_tenant_mapping_overrides_the_default()
    {
        for (int i = 1; i <= 12; i++)
        {
            string id = $"c-{2000 + i}";
            var record = await RawRecordAsync(id);
            var profile = await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "acme", CustomerId = id }, Deadline());
            Assert.Equal((bool)record["vip"]! ? "vip" : "regular", profile.Tier);
            Assert.False(profile.Attributes.ContainsKey("wechat"));
            Assert.Equal((string?)record["name"], profile.Name);
        }
    }

    [Fact]
    public async Task A_live_profile_is_cached_per_tenant_with_the_configured_ttl()
    {
        await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "t-cache", CustomerId = "c-3001" }, Deadline());
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var key = ProfileCache.Key("t-cache", "c-3001");
        var cached = CustomerProfile.Parser.ParseFrom((byte[])(await db.StringGetAsync(key))!);
        Assert.Equal("c-3001", cached.CustomerId);
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.False(await db.KeyExistsAsync(ProfileCache.Key("another-tenant", "c-3001")));
    }

    [Fact]
    public async Task An_unknown_customer_is_not_found()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "t1", CustomerId = "unknown-7" }, Deadline()));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Missing_ids_are_invalid()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "t1" }, Deadline()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task A_CRM_error_page_gives_unavailable_with_the_reason()
    {
        var profile = await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "t1", CustomerId = "fail-1" }, Deadline());
        Assert.Equal(Availability.Unavailable, profile.Availability);
        Assert.Contains("HTTP 500", profile.UnavailableReason);
    }

    [Fact]
    public async Task A_truncated_record_gives_unavailable_with_the_offset()
    {
        var profile = await fixture.Host.Client.GetProfileAsync(new GetProfileRequest { TenantId = "t1", CustomerId = "broken-1" }, Deadline());
        Assert.Equal(Availability.Unavailable, profile.Availability);
        Assert.Contains("malformed data", profile.UnavailableReason);
        Assert.Matches(@"at byte \d+ of \d+", profile.UnavailableReason);
    }
}
