using System.Security.Cryptography;
using CustomerService.TestInfrastructure;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// A real Redis, a downstream that stands in for Session, Admin, HistoryWriter and Web, and a gateway in front of
/// it; started once for every test class in the collection. Tests that need other limits or another clock start
/// their own gateway with <see cref="StartGateway"/> (a second or so).
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxFrameBytes = 4096;

    public RedisServer Redis { get; private set; } = null!;
    public Downstream Downstream { get; private set; } = null!;
    public GatewayHost Gateway { get; private set; } = null!;
    public Tokens Tokens { get; } = new(RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        Downstream = await Downstream.StartAsync();
        Gateway = StartGateway();
    }

    public GatewayHost StartGateway(IReadOnlyDictionary<string, string?>? overrides = null, TimeProvider? time = null, int port = 0)
    {
        var settings = GatewayHost.UnthrottledSettings(Tokens.SigningKey, Redis.ConnectionString,
            Downstream.Address, Downstream.Address, Downstream.Address, Downstream.Address);
        settings["Limits:MaxRequestBodyBytes"] = MaxBodyBytes.ToString();
        settings["Limits:MaxWebSocketFrameBytes"] = MaxFrameBytes.ToString();
        settings["Blocklist:RefreshInterval"] = "00:00:00.500";
        // Every other cluster behind the same downstream too, so each route's passed-through request reaches something.
        settings["ReverseProxy:Clusters:routing:Destinations:d1:Address"] = Downstream.Address.ToString();
        settings["ReverseProxy:Clusters:webhooks:Destinations:d1:Address"] = Downstream.Address.ToString();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return GatewayHost.Start(settings, time, port);
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        if (Downstream is not null) await Downstream.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
