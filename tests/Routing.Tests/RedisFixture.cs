using CustomerService.Routing.Dispatch;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CustomerService.Routing.Tests;

/// <summary>One real redis-server for every test of the collection; tests keep apart by using tenants of their own.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = [];
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        Connection = await ConnectAsync();
    }

    /// <summary>A connection shared by tests that only read or set up state.</summary>
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public IDatabase Db => Connection.GetDatabase();

    /// <summary>A new connection, as another replica would have its own.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString);
        lock (_connections) _connections.Add(connection);
        return connection;
    }

    public Dispatcher NewDispatcher(TimeProvider? time = null, RoutingOptions? options = null, IConnectionMultiplexer? connection = null) =>
        new(connection ?? Connection, new FixedOptions<RoutingOptions>(options ?? new RoutingOptions()), time ?? TimeProvider.System);

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    public static string NewTenant() => "t" + Guid.NewGuid().ToString("N")[..10];
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}

public sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;
    public T Get(string? name) => value;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
