using System.Diagnostics;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.LiveConfig.Tests;

/// <summary>
/// Two replicas of a subscribing service, each a host with AddServiceDefaults and AddLiveConfig finding Admin by
/// service discovery, against Admin replicas over a real PostgreSQL.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigWatcherTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly TimeSpan InEffectWithin = TimeSpan.FromSeconds(1);

    private AdminHost _watched = null!;
    private AdminHost _other = null!;
    private IHost[] _replicas = [];

    public async Task InitializeAsync()
    {
        var connectionString = postgres.Server.ConnectionString(PostgresFixture.WatchDatabase);
        _watched = await AdminHost.StartAsync(connectionString);
        _other = await AdminHost.StartAsync(connectionString);
        _replicas = [await StartReplicaAsync("routing-1"), await StartReplicaAsync("routing-2")];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var replica in _replicas) await Live(replica).WaitUntilLoadedAsync(timeout.Token);
        // The first request of a fresh process pays for compiling the write path: not what the test measures.
        foreach (var admin in new[] { _watched, _other })
            await admin.PutAsync("warm-up", ConfigSections.Faq, $$"""{"entries":[{"id":"{{admin.HttpPort}}","question":"q","answer":"a"}]}""");
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.StopAsync();
            replica.Dispose();
        }
        await _watched.DisposeAsync();
        await _other.DisposeAsync();
    }

    [Fact]
    public async Task A_rule_a_word_list_and_a_flag_changed_on_any_admin_replica_are_in_effect_in_both_replicas_within_a_second()
    {
        // Written through the other Admin replica: the one the watchers stream from learns of it through PostgreSQL.
        var rule = await MeasureAsync(() => _other.PutAsync("shop", ConfigSections.RoutingRules,
            """{"default_group":"general","rules":[{"name":"vip","match":{"customer_tiers":["vip"]},"skill_group":"vip-desk","priority":90}]}"""));
        var words = await MeasureAsync(() => _watched.PutAsync("shop", ConfigSections.SensitiveWords,
            """{"lists":[{"name":"fraud","policy":"block","words":["刷单"]}]}"""));
        var flag = await MeasureAsync(() => _other.PutAsync("shop", ConfigSections.FeatureFlags,
            """{"flags":[{"key":"merge_short_messages","enabled":true,"percentage":100}]}"""));

        Assert.All([rule, words, flag], took => Assert.True(took < InEffectWithin, $"took {took.TotalMilliseconds:F0} ms"));
        foreach (var replica in _replicas)
        {
            var config = Live(replica).Current;
            Assert.Equal("vip-desk", config.Get<RoutingRules>("shop").Decide(new RoutingRequest(null, null, "vip", "hi")).SkillGroup);
            Assert.Equal(WordPolicy.Block, replica.Services.GetRequiredService<TenantSensitiveWords>().For("shop").Scan("帮忙刷 单吗").Policy);
            Assert.True(config.IsEnabled(FeatureFlagKeys.MergeShortMessages, "shop", "visitor-1"));
            Assert.False(config.IsEnabled(FeatureFlagKeys.MergeShortMessages, "another-shop", "visitor-1"));
        }
    }

    [Fact]
    public async Task With_admin_down_the_replicas_keep_the_last_configuration_and_catch_up_when_it_returns()
    {
        var kept = await _watched.PutAsync("outage", ConfigSections.RoutingRules, """{"default_group":"before-outage"}""");
        await WaitForVersionAsync(kept, InEffectWithin);

        await _watched.StopAsync();
        var missed = await _other.PutAsync("outage", ConfigSections.RoutingRules, """{"default_group":"during-outage"}""");
        // Absence: the change must not reach the replicas while the Admin they stream from is down. No signal says
        // "it will not come", so give it longer than a change takes (InEffectWithin) to show.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        foreach (var replica in _replicas)
        {
            var config = Live(replica).Current;
            Assert.Equal(kept, config.Version);
            Assert.Equal("before-outage", config.Get<RoutingRules>("outage").DefaultGroup);
            Assert.Equal(HealthStatus.Degraded, (await replica.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Status);
        }

        await _watched.StartAgainAsync();
        // Reconnect backoff is capped at 1 s in these replicas.
        await WaitForVersionAsync(missed, TimeSpan.FromSeconds(5));
        var later = await MeasureAsync(() => _watched.PutAsync("outage", ConfigSections.RoutingRules, """{"default_group":"after-outage"}"""));

        Assert.True(later < InEffectWithin, $"took {later.TotalMilliseconds:F0} ms");
        foreach (var replica in _replicas)
        {
            Assert.Equal("after-outage", Live(replica).Current.Get<RoutingRules>("outage").DefaultGroup);
            Assert.Equal(HealthStatus.Healthy, (await replica.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Status);
        }
    }

    [Fact]
    public async Task Subscribers_hear_of_each_change_and_tenants_without_a_document_get_the_platform_one()
    {
        var heard = new List<LiveConfigChange>();
        var live = Live(_replicas[0]);
        void OnChanged(LiveConfigChange change) { lock (heard) heard.Add(change); }
        live.Changed += OnChanged;
        try
        {
            var platform = await PutPlatformAsync(ConfigSections.SensitiveWords, """{"lists":[{"name":"base","policy":"mask","words":["垃圾"]}]}""");
            var own = await _watched.PutAsync("own-lists", ConfigSections.SensitiveWords, """{"lists":[{"name":"own","policy":"flag","words":["退款"]}]}""");
            await WaitForVersionAsync(Math.Max(platform, own), InEffectWithin);

            var words = _replicas[0].Services.GetRequiredService<TenantSensitiveWords>();
            Assert.Equal("这是**", words.For("any-tenant").Mask("这是垃圾"));
            Assert.Equal("这是垃圾", words.For("own-lists").Mask("这是垃圾"));
            Assert.Equal(WordPolicy.Flag, words.For("own-lists").Scan("我要退款").Policy);
            lock (heard)
            {
                Assert.Contains(heard, c => c.TenantId == LiveConfigSnapshot.PlatformTenant && c.Affects(ConfigSections.SensitiveWords));
                Assert.Contains(heard, c => c.TenantId == "own-lists" && c.Snapshot.Version >= own);
            }
        }
        finally
        {
            live.Changed -= OnChanged;
        }
    }

    private async Task<long> PutPlatformAsync(string section, string json)
    {
        using var response = await _watched.SendAsync(HttpMethod.Put, $"/api/admin/platform/config/{section}", "platform", Roles.Admin, json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("version").GetInt64();
    }

    /// <summary>How long from the commit of a change (Admin answered the PUT) until every replica runs with it.</summary>
    private async Task<TimeSpan> MeasureAsync(Func<Task<long>> change)
    {
        var version = await change();
        var clock = Stopwatch.StartNew();
        await WaitForVersionAsync(version, TimeSpan.FromSeconds(5));
        return clock.Elapsed;
    }

    private Task WaitForVersionAsync(long version, TimeSpan patience) =>
        Eventually.UntilAsync(() => _replicas.All(r => Live(r).Current.Version >= version), $"every replica at version {version}", patience,
            TimeSpan.FromMilliseconds(5), context: () => $"replicas at {string.Join(", ", _replicas.Select(r => Live(r).Current.Version))}");

    private static ILiveConfig Live(IHost replica) => replica.Services.GetRequiredService<ILiveConfig>();

    private async Task<IHost> StartReplicaAsync(string name)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development, ApplicationName = name });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // What the AppHost's WithReference(admin) gives a service: Admin's gRPC endpoint for discovery.
            ["services:admin:grpc:0"] = _watched.GrpcAddress,
            ["LiveConfig:Subscriber"] = name,
            ["LiveConfig:InitialReconnectDelay"] = "00:00:00.100",
            ["LiveConfig:MaxReconnectDelay"] = "00:00:01",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddLiveConfig(ConfigSections.RoutingRules, ConfigSections.SensitiveWords);
        builder.AddLiveConfig(ConfigSections.FeatureFlags);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
