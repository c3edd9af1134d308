using Npgsql;

namespace CustomerService.Admin.Data;

/// <summary>Data a deployment starts with (the demo tenant, for instance), written after the schema is current.</summary>
public interface IDatabaseSeed
{
    Task SeedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Migrates, then seeds, before the service takes requests (hosted services start before the server listens).
/// </summary>
internal sealed partial class DatabaseInitializer(
    SchemaMigrator migrator, IEnumerable<IDatabaseSeed> seeds, TimeProvider time, ILogger<DatabaseInitializer> logger) : IHostedService
{
    // The orchestrator starts PostgreSQL and this service together; give the server time to come up.
    private static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var giveUpAt = time.GetUtcNow() + StartupPatience;
        while (true)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken);
                break;
            }
            catch (NpgsqlException ex) when (IsNotReadyYet(ex) && time.GetUtcNow() < giveUpAt)
            {
                LogWaiting(ex.Message);
                await Task.Delay(RetryDelay, time, cancellationToken);
            }
        }
        foreach (var seed in seeds) await seed.SeedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // 3D000: the start script creates the database a moment after the server accepts connections.
    private static bool IsNotReadyYet(NpgsqlException ex) => ex.IsTransient || ex is PostgresException { SqlState: "3D000" };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for the admin database: {Reason}")]
    private partial void LogWaiting(string reason);
}

public static class AdminDatabaseExtensions
{
    /// <summary>The admin database, migrated on start; its connection string is named <c>admindb</c>.</summary>
    public static IHostApplicationBuilder AddAdminDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("admindb");
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddHostedService<DatabaseInitializer>();
        return builder;
    }
}
