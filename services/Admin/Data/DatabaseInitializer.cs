namespace CustomerService.Admin.Data;

/// <summary>Data a deployment starts with (the demo tenant, for instance), written after the schema is current.</summary>
public interface IDatabaseSeed
{
    Task SeedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Migrates, then seeds, before the service takes requests (hosted services start before the server listens).
/// </summary>
internal sealed class DatabaseInitializer(PostgresSchema schema, IEnumerable<IDatabaseSeed> seeds, TimeProvider time) : IHostedService
{
    // The orchestrator starts PostgreSQL and this service together; give the server time to come up.
    private static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await schema.MigrateWhenReadyAsync(StartupPatience, time, cancellationToken);
        foreach (var seed in seeds) await seed.SeedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class AdminDatabaseExtensions
{
    /// <summary>The admin database, migrated (Data/Migrations) and seeded on start; its connection string is named <c>admindb</c>.</summary>
    public static IHostApplicationBuilder AddAdminDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresSchema("admindb", typeof(IDatabaseSeed).Assembly, historyTable: "schema_migrations", migrateOnStart: false);
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }
}
