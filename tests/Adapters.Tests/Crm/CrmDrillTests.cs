using System.Diagnostics;
using CustomerService.Contracts;
using CustomerService.Crm.Profiles;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Xunit;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>Drills: the CRM dies, or is slow; GetProfile keeps answering within its deadline.</summary>
[Collection(TimingCollection.Name)]
public class CrmDrillTests
{
    private static readonly Dictionary<string, string?> FastBreaker = new()
    {
        ["Crm:Resilience:AttemptTimeout"] = "00:00:00.500",
        ["Crm:Resilience:TotalTimeout"] = "00:00:01",
        ["Crm:Resilience:MaxRetryAttempts"] = "2",
        ["Crm:Resilience:RetryBaseDelay"] = "00:00:00.020",
        ["Crm:Resilience:FailureRatio"] = "0.5",
        ["Crm:Resilience:MinimumThroughput"] = "3",
        ["Crm:Resilience:SamplingDuration"] = "00:00:05",
        ["Crm:Resilience:BreakDuration"] = "00:00:01",
        ["Crm:Resilience:FallbackTimeout"] = "00:00:00.300",
    };

    private static async Task<(CustomerProfile Profile, TimeSpan Took)> GetAsync(CrmHost host, string tenant, string customer, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var profile = await host.Client.GetProfileAsync(new GetProfileRequest { TenantId = tenant, CustomerId = customer },
                new CallOptions(deadline: DateTime.UtcNow + deadline));
            return (profile, clock.Elapsed);
        }
        catch (RpcException e)
        {
            throw new Xunit.Sdk.XunitException($"GetProfile({tenant}, {customer}) with a {deadline.TotalMilliseconds} ms deadline: "
                + $"{e.StatusCode} after {clock.ElapsedMilliseconds} ms\n{string.Join("\n", host.Logs.All.TakeLast(15).Select(l => $"{l.Level} {l.Category}: {l.Message}"))}");
        }
    }

    /// <summary>The first calls of a process compile its code paths; drills time what comes after.</summary>
    private static async Task<CustomerProfile> WarmUpAsync(CrmHost host, string customer, int calls = 10)
    {
        CustomerProfile profile = null!;
        for (int i = 0; i < calls; i++)
        {
            (profile, _) = await GetAsync(host, "warm-up", customer, TimeSpan.FromSeconds(10));
            if (profile.Availability == Availability.Live) break;
        }
        return profile;
    }

    [Fact]
    public async Task Kill_the_CRM_then_bring_it_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var crm = await PhpCrmSimulator.StartAsync();
        await using var host = await CrmHost.StartAsync(crm.BaseUrl, redis.ConnectionString, FastBreaker);
        var deadline = TimeSpan.FromSeconds(2);

        Assert.Equal(Availability.Live, (await WarmUpAsync(host, "c-1000")).Availability);
        var (live, _) = await GetAsync(host, "t1", "c-1001", TimeSpan.FromSeconds(5));
        Assert.True(live.Availability == Availability.Live, live.UnavailableReason);
        Assert.Equal(0, host.CircuitStateMetric());

        crm.Kill();

        // Known customer: the cached profile, within the deadline, with why it is not live.
        var (cached, tookCached) = await GetAsync(host, "t1", "c-1001", deadline);
        Assert.Equal(Availability.Cached, cached.Availability);
        Assert.Equal(live.Name, cached.Name);
        Assert.Equal(live.Tier, cached.Tier);
        Assert.False(string.IsNullOrEmpty(cached.UnavailableReason));
        Assert.True(tookCached < deadline, $"cached answer took {tookCached.TotalMilliseconds} ms");

        // Never-seen customer: explicitly unavailable, within the deadline.
        var (unavailable, tookUnavailable) = await GetAsync(host, "t1", "c-2002", deadline);
        Assert.Equal(Availability.Unavailable, unavailable.Availability);
        Assert.Contains("crm", unavailable.UnavailableReason);
        Assert.True(tookUnavailable < deadline, $"unavailable answer took {tookUnavailable.TotalMilliseconds} ms");

        // The breaker has opened: the metric says so, the log says so, and answers no longer wait for the CRM.
        Assert.Equal(1, host.CircuitStateMetric());
        Assert.Contains(host.Logs.All, e => e.Level == LogLevel.Warning && e.Message.Contains("Circuit to legacy system crm opened"));
        var (whileOpen, tookWhileOpen) = await GetAsync(host, "t1", "c-1001", deadline);
        Assert.Equal(Availability.Cached, whileOpen.Availability);
        Assert.Contains("circuit open", whileOpen.UnavailableReason);
        Assert.True(tookWhileOpen < TimeSpan.FromSeconds(1), $"answer with the circuit open took {tookWhileOpen.TotalMilliseconds} ms");

        await crm.StartAgainAsync();

        // After the break a probe goes through and the circuit closes.
        var back = await Eventually.GetAsync(async () => (await GetAsync(host, "t1", "c-1001", deadline)).Profile,
            profile => profile.Availability == Availability.Live, "the profile answered live again", TimeSpan.FromSeconds(15),
            TimeSpan.FromMilliseconds(200));
        Assert.Equal(Availability.Live, back.Availability);
        Assert.Equal(0, host.CircuitStateMetric());
        Assert.Contains(host.Logs.All, e => e.Message.Contains("Circuit to legacy system crm closed"));
    }

    [Fact]
    public async Task A_slow_CRM_never_makes_GetProfile_miss_its_deadline()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var crm = await PhpCrmSimulator.StartAsync(delayMs: 3000);
        // The breaker stays closed here: this drill is about timeouts.
        await using var host = await CrmHost.StartAsync(crm.BaseUrl, redis.ConnectionString,
            new Dictionary<string, string?> { ["Crm:Resilience:MinimumThroughput"] = "1000" });
        var deadline = TimeSpan.FromMilliseconds(1500);
        await WarmUpAsync(host, "c-5000", calls: 1);

        // A profile cached earlier (as a live read would have left it).
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var earlier = new CustomerProfile { CustomerId = "c-5005", Name = "王伟", Tier = "vip", Availability = Availability.Live };
            await connection.GetDatabase().StringSetAsync(ProfileCache.Key("t1", "c-5005"), earlier.ToByteArray(), TimeSpan.FromMinutes(5));
        }

        var (cached, tookCached) = await GetAsync(host, "t1", "c-5005", deadline);
        Assert.Equal(Availability.Cached, cached.Availability);
        Assert.Equal("王伟", cached.Name);
        Assert.Contains("did not answer within", cached.UnavailableReason);
        Assert.True(tookCached < deadline, $"took {tookCached.TotalMilliseconds} ms");

        var (unavailable, tookUnavailable) = await GetAsync(host, "t1", "c-5006", deadline);
        Assert.Equal(Availability.Unavailable, unavailable.Availability);
        Assert.True(tookUnavailable < deadline, $"took {tookUnavailable.TotalMilliseconds} ms");
    }
}
