using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

/// <summary>One schema migration: an embedded <c>Migrations/NNN_name.sql</c> of the service's assembly.</summary>
public sealed record Migration(int Version, string Name, string Sql, string Checksum);

/// <summary>
/// Brings a service's PostgreSQL database to the schema its build expects: every embedded
/// <c>Migrations/NNN_name.sql</c> not yet recorded in the history table runs once, in number order, each in its own
/// transaction. Replicas starting together take turns on an advisory lock, so each script runs exactly once. A
/// script edited after it ran is reported, never run again.
/// </summary>
public sealed partial class PostgresSchema
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly long _lockKey;

    public PostgresSchema(NpgsqlDataSource dataSource, string database, Assembly migrations, string historyTable, ILogger logger)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(historyTable, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new ArgumentException($"'{historyTable}' is not a plain table name.", nameof(historyTable));
        _dataSource = dataSource;
        _logger = logger;
        Database = database;
        HistoryTable = historyTable;
        Migrations = Load(migrations, database);
        // A lock key of its own per history table, so services sharing a server never wait on each other.
        _lockKey = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("cs-schema:" + historyTable)));
    }

    public string Database { get; }
    public string HistoryTable { get; }
    public IReadOnlyList<Migration> Migrations { get; }

    /// <summary>Applies what is pending; returns the versions it applied (none when the schema is current).</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({_lockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, $"""
                CREATE TABLE IF NOT EXISTS {HistoryTable} (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);
            var applied = new Dictionary<int, string>();
            await using (var query = new NpgsqlCommand($"SELECT version, checksum FROM {HistoryTable}", connection))
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied[reader.GetInt32(0)] = reader.GetString(1);

            var done = new List<int>();
            foreach (var migration in Migrations)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum) LogEdited(Database, migration.Version, migration.Name);
                    continue;
                }
                await ApplyAsync(connection, migration, cancellationToken);
                LogApplied(Database, migration.Version, migration.Name);
                done.Add(migration.Version);
            }
            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({_lockKey})", CancellationToken.None);
        }
    }

    /// <summary>
    /// <see cref="MigrateAsync"/>, waiting for a server that is still starting (the orchestrator starts it and the
    /// service together) up to <paramref name="patience"/>.
    /// </summary>
    public async Task MigrateWhenReadyAsync(TimeSpan patience, TimeProvider time, CancellationToken cancellationToken)
    {
        var giveUpAt = time.GetUtcNow() + patience;
        while (true)
        {
            try
            {
                await MigrateAsync(cancellationToken);
                return;
            }
            // 3D000: the start script creates the database a moment after the server accepts connections.
            catch (NpgsqlException e) when ((e.IsTransient || e is PostgresException { SqlState: "3D000" }) && time.GetUtcNow() < giveUpAt)
            {
                LogWaiting(Database, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction)) await script.ExecuteNonQueryAsync(cancellationToken);
        await using (var record = new NpgsqlCommand(
            $"INSERT INTO {HistoryTable} (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new() { Value = migration.Version });
            record.Parameters.Add(new() { Value = migration.Name });
            record.Parameters.Add(new() { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The embedded <c>Migrations/NNN_name.sql</c> resources of an assembly, in number order.</summary>
    public static IReadOnlyList<Migration> Load(Assembly assembly, string database)
    {
        const string prefix = "Migrations/";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var name = resource[prefix.Length..^".sql".Length];
            int separator = name.IndexOf('_');
            if (separator <= 0 || !int.TryParse(name.AsSpan(0, separator), out var version))
                throw new InvalidOperationException($"Migration '{resource}' must be named NNN_description.sql.");
            using var text = new StreamReader(assembly.GetManifestResourceStream(resource)!, Encoding.UTF8);
            var sql = text.ReadToEnd();
            migrations.Add(new Migration(version, name, sql, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < migrations.Count; i++)
            if (migrations[i].Version == migrations[i - 1].Version)
                throw new InvalidOperationException(
                    $"{database} migrations '{migrations[i - 1].Name}' and '{migrations[i].Name}' share the number {migrations[i].Version}.");
        return migrations;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Database} migration {Version} ({Name})")]
    private partial void LogApplied(string database, int version, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Database} migration {Version} ({Name}) was edited after it was applied; the database keeps the old version")]
    private partial void LogEdited(string database, int version, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for {Database}: {Reason}")]
    private partial void LogWaiting(string database, string reason);
}

public static class PostgresSchemaExtensions
{
    /// <summary>The database behind connection string <paramref name="database"/>, migrated by its embedded scripts on start.</summary>
    public static TBuilder AddPostgresSchema<TBuilder>(this TBuilder builder, string database, Assembly migrations, string historyTable,
        bool migrateOnStart = true) where TBuilder : IHostApplicationBuilder
    {
        builder.AddNpgsqlDataSource(database);
        builder.Services.AddSingleton(sp => new PostgresSchema(sp.GetRequiredService<NpgsqlDataSource>(), database, migrations, historyTable,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<PostgresSchema>()));
        if (migrateOnStart) builder.Services.AddHostedService<SchemaInitializer>();
        return builder;
    }

    /// <summary>Migrates before the service takes requests (hosted services start before the server listens).</summary>
    private sealed class SchemaInitializer(PostgresSchema schema, TimeProvider? time = null) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            schema.MigrateWhenReadyAsync(TimeSpan.FromSeconds(90), time ?? TimeProvider.System, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
