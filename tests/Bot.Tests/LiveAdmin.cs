using CustomerService.TestInfrastructure;

namespace CustomerService.Bot.Tests;

/// <summary>
/// NATS, Redis, PostgreSQL and the real Admin service in process (database, configuration API and ConfigStream, as
/// its Program registers them): what a Bot on live configuration talks to.
/// </summary>
public sealed class LiveAdmin : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private AdminHost _admin = null!;

    public Servers Servers { get; } = new();
    public string GrpcAddress => _admin.GrpcAddress;

    public async Task InitializeAsync()
    {
        var servers = Servers.InitializeAsync();
        _postgres = await PostgresServer.StartAsync("admindb");
        await servers;
        _admin = await AdminHost.StartAsync(_postgres.ConnectionString("admindb"));
    }

    /// <summary>Replaces a tenant's document as its admin would, through the Admin API.</summary>
    public Task PutAsync(string tenant, string section, string json) => _admin.PutAsync(tenant, section, json);

    public async Task DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveAdminCollection : ICollectionFixture<LiveAdmin>
{
    public const string Name = "live-admin";
}
