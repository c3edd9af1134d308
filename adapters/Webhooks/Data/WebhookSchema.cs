using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace CustomerService.Webhooks.Data;

/// <summary>
/// Brings webhookdb to the schema this build expects: each embedded <c>Migrations/NNN_name.sql</c> not yet recorded
/// in <c>webhooks_schema_migrations</c> runs once, in number order, in its own transaction. Replicas starting
/// together take turns on an advisory lock.
/// </summary>
public sealed partial class WebhookSchema(NpgsqlDataSource dataSource, ILogger<WebhookSchema> logger)
{
    // "cs-webho" in ASCII: a key nothing else in this database locks on.
    private const long LockKey = 0x63_73_2D_77_65_62_68_6F;

    public static IReadOnlyList<(int Version, string Name, string Sql, string Checksum)> Migrations { get; } = Load(typeof(WebhookSchema).Assembly);

    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS webhooks_schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);
            var applied = new Dictionary<int, string>();
            await using (var query = new NpgsqlCommand("SELECT version, checksum FROM webhooks_schema_migrations", connection))
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied[reader.GetInt32(0)] = reader.GetString(1);

            var done = new List<int>();
            foreach (var (version, name, sql, checksum) in Migrations)
            {
                if (applied.TryGetValue(version, out var recorded))
                {
                    if (recorded != checksum) LogEdited(version, name);
                    continue;
                }
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var script = new NpgsqlCommand(sql, connection, transaction)) await script.ExecuteNonQueryAsync(cancellationToken);
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO webhooks_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
                {
                    record.Parameters.Add(new() { Value = version });
                    record.Parameters.Add(new() { Value = name });
                    record.Parameters.Add(new() { Value = checksum });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                LogApplied(version, name);
                done.Add(version);
            }
            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(int, string, string, string)> Load(Assembly assembly)
    {
        const string prefix = "Migrations/";
        var migrations = new List<(int Version, string, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal) && r.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..^".sql".Length];
            int separator = name.IndexOf('_');
            if (separator <= 0 || !int.TryParse(name.AsSpan(0, separator), out var version))
                throw new InvalidOperationException($"Migration '{resource}' must be named NNN_description.sql.");
            using var text = new StreamReader(assembly.GetManifestResourceStream(resource)!, Encoding.UTF8);
            var sql = text.ReadToEnd();
            migrations.Add((version, name, sql, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        if (migrations.Select(m => m.Version).Distinct().Count() != migrations.Count)
            throw new InvalidOperationException("Two webhookdb migrations share a number.");
        return migrations;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied webhookdb migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhookdb migration {Version} ({Name}) was edited after it was applied; the database keeps the old version")]
    private partial void LogEdited(int version, string name);
}

/// <summary>Migrates webhookdb before the service takes requests (hosted services start before the server listens).</summary>
internal sealed partial class WebhookSchemaInitializer(WebhookSchema schema, TimeProvider time, ILogger<WebhookSchemaInitializer> logger) : IHostedService
{
    // The orchestrator starts PostgreSQL and this service together; give the server time to come up.
    private static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(90);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var giveUpAt = time.GetUtcNow() + StartupPatience;
        while (true)
        {
            try
            {
                await schema.MigrateAsync(cancellationToken);
                return;
            }
            // 3D000: the start script creates the database a moment after the server accepts connections.
            catch (NpgsqlException e) when ((e.IsTransient || e is PostgresException { SqlState: "3D000" }) && time.GetUtcNow() < giveUpAt)
            {
                LogWaiting(e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for webhookdb: {Reason}")]
    private partial void LogWaiting(string reason);
}
