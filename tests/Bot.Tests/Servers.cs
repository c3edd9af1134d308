using CustomerService.TestInfrastructure;
using StackExchange.Redis;

namespace CustomerService.Bot.Tests;

/// <summary>One real nats-server and one real redis-server for the whole test run.</summary>
public sealed class Servers : IAsyncLifetime
{
    public NatsServer Nats { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public IConnectionMultiplexer RedisConnection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var nats = NatsServer.StartAsync();
        var redis = RedisServer.StartAsync();
        Nats = await nats;
        Redis = await redis;
        RedisConnection = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (RedisConnection is not null) await RedisConnection.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Nats is not null) await Nats.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<Servers>
{
    public const string Name = "servers";
}
