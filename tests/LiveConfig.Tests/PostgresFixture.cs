using CustomerService.TestInfrastructure;

namespace CustomerService.LiveConfig.Tests;

/// <summary>
/// One PostgreSQL for the test run, with a database for the API tests (served by <see cref="Admin"/>, one replica
/// for all of them) and one for the watcher tests, which start and stop replicas of their own.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ApiDatabase = "config_api";
    public const string WatchDatabase = "config_watch";

    public PostgresServer Server { get; private set; } = null!;
    public AdminHost Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.StartAsync(ApiDatabase, WatchDatabase);
        Admin = await AdminHost.StartAsync(Server.ConnectionString(ApiDatabase));
    }

    public async Task DisposeAsync()
    {
        await Admin.DisposeAsync();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
