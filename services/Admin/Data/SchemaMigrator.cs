using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace CustomerService.Admin.Data;

/// <summary>
/// Brings the admin database to the schema this build expects: every embedded <c>Migrations/NNN_name.sql</c>
/// not yet recorded in <c>schema_migrations</c> runs once, in number order, each in its own transaction.
/// Replicas starting together serialize on a PostgreSQL advisory lock, so each script runs exactly once.
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    // Any fixed number works as long as nothing else in this database locks on it: "cs-admin" in ASCII.
    private const long LockKey = 0x63_73_2D_61_64_6D_69_6E;

    public static IReadOnlyList<Migration> Embedded { get; } = Load(typeof(SchemaMigrator).Assembly);

    /// <summary>Applies what is pending; returns the versions it applied (none when the schema is current).</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);

            var applied = await AppliedAsync(connection, cancellationToken);
            var done = new List<int>();
            foreach (var migration in Embedded)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    // An edited script that already ran would silently differ between databases: say so.
                    if (checksum != migration.Checksum) LogChecksumChanged(migration.Version, migration.Name);
                    continue;
                }
                await ApplyAsync(connection, migration, cancellationToken);
                LogApplied(migration.Version, migration.Name);
                done.Add(migration.Version);
            }
            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
            await script.ExecuteNonQueryAsync(cancellationToken);
        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new() { Value = migration.Version });
            record.Parameters.Add(new() { Value = migration.Name });
            record.Parameters.Add(new() { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<Dictionary<int, string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) applied[reader.GetInt32(0)] = reader.GetString(1);
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static IReadOnlyList<Migration> Load(Assembly assembly)
    {
        const string prefix = "Migrations/";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var name = resource[prefix.Length..^".sql".Length];
            var separator = name.IndexOf('_');
            if (separator <= 0 || !int.TryParse(name.AsSpan(0, separator), out var version))
                throw new InvalidOperationException($"Migration '{resource}' must be named NNN_description.sql.");

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream, Encoding.UTF8);
            var sql = text.ReadToEnd();
            migrations.Add(new Migration(version, name, sql, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
            if (migrations[i].Version == migrations[i - 1].Version)
                throw new InvalidOperationException(
                    $"Migrations '{migrations[i - 1].Name}' and '{migrations[i].Name}' share the number {migrations[i].Version}.");
        return migrations;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schema migration {Version} ({Name}) was edited after it was applied; the database keeps the old version")]
    private partial void LogChecksumChanged(int version, string name);
}

public sealed record Migration(int Version, string Name, string Sql, string Checksum);
