using CustomerService.TestInfrastructure;
using Npgsql;
using StackExchange.Redis;

namespace CustomerService.Routing.Tests;

/// <summary>PostgreSQL with the real Admin on it, and a redis-server: what a Routing replica on live configuration needs.</summary>
public sealed class LiveConfigFixture : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private RedisServer _redis = null!;

    public AdminHost Admin { get; private set; } = null!;
    public ConnectionMultiplexer Redis { get; private set; } = null!;
    public string AdminConnectionString => _postgres.ConnectionString("admindb");

    public async Task InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync("admindb");
        var redis = RedisServer.StartAsync();
        _postgres = await postgres;
        _redis = await redis;
        Admin = await AdminHost.StartAsync(AdminConnectionString, _redis.ConnectionString);
        Redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    /// <summary>A tenant row (agents belong to a tenant that exists).</summary>
    public async Task CreateTenantAsync(string tenant)
    {
        await using var db = NpgsqlDataSource.Create(AdminConnectionString);
        await using var insert = db.CreateCommand("INSERT INTO tenants (id, name) VALUES ($1, $1)");
        insert.Parameters.Add(new() { Value = tenant });
        await insert.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null) await Redis.DisposeAsync();
        if (Admin is not null) await Admin.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveConfigCollection : ICollectionFixture<LiveConfigFixture>
{
    public const string Name = "live-config";
}
