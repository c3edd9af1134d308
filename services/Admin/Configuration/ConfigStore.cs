using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace CustomerService.Admin.Configuration;

/// <summary>A tenant's stored document of a section: JSON text, version, when and by whom.</summary>
public sealed record StoredDocument(string TenantId, string Section, string Json, long Version, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>One committed change as the change log keeps it; Json null: the document was removed.</summary>
public sealed record ConfigChangeRow(long Version, string TenantId, string Section, string? Json);

/// <summary>Every document of some sections as of <see cref="Version"/>, read in one transaction.</summary>
public sealed record ConfigSnapshotRead(long Version, IReadOnlyList<StoredDocument> Documents);

public sealed record ConfigAuditEntry(
    long Id, string TenantId, string Section, long Version, string Action, string ActorId, string ActorRole, string? ActorName,
    DateTimeOffset ChangedAt, string? OldDocument, string? NewDocument);

/// <summary>The write was conditional (If-Match) and the document has moved on since.</summary>
public sealed class VersionConflictException(long currentVersion)
    : Exception($"The document is at version {currentVersion}.")
{
    public long CurrentVersion { get; } = currentVersion;
}

/// <summary>
/// PostgreSQL, the source of truth of live configuration. A write changes the document, appends to the change
/// log, audits old and new, and notifies listeners, all in one transaction under one advisory lock so that
/// versions commit in the order they are numbered (the change feed relies on it).
/// </summary>
public sealed class ConfigStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>The NOTIFY channel; the payload is the version.</summary>
    public const string Channel = "config_changes";

    // "cs-confg" in ASCII: distinct from the schema migrator's lock.
    private const long WriteLockKey = 0x63_73_2D_63_6F_6E_66_67;

    public async Task<StoredDocument?> GetAsync(string tenantId, string section, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT document::text, version, updated_at, updated_by FROM config_documents WHERE tenant_id = $1 AND section = $2");
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = section });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new StoredDocument(tenantId, section, reader.GetString(0), reader.GetInt64(1),
            reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
    }

    /// <summary>The versions of the sections a tenant has documents of.</summary>
    public async Task<Dictionary<string, long>> VersionsAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT section, version FROM config_documents WHERE tenant_id = $1");
        command.Parameters.Add(new() { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken)) versions[reader.GetString(0)] = reader.GetInt64(1);
        return versions;
    }

    /// <summary>
    /// Replaces (or with <paramref name="json"/> null removes) a tenant's document and returns its version. A
    /// document equal to the stored one changes nothing and returns the stored version.
    /// </summary>
    /// <exception cref="VersionConflictException"><paramref name="expectedVersion"/> is given and is not the current one (0: none yet).</exception>
    public Task<long> PutAsync(string tenantId, string section, string? json, GatewayCaller actor, long? expectedVersion, CancellationToken cancellationToken)
        => InWriteTransactionAsync((connection, transaction) => PutAsync(connection, transaction, tenantId, section, json, actor, expectedVersion, cancellationToken),
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction holding the configuration write lock, and commits it: for
    /// writers whose change and the document derived from it must commit together (the agent directory).
    /// </summary>
    public async Task<T> InWriteTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({WriteLockKey})", cancellationToken);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// <see cref="PutAsync(string, string, string?, GatewayCaller, long?, CancellationToken)"/> inside a transaction of
    /// <see cref="InWriteTransactionAsync{T}"/>; the caller commits.
    /// </summary>
    public async Task<long> PutAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, string section, string? json,
        GatewayCaller actor, long? expectedVersion, CancellationToken cancellationToken)
    {
        string? old = null;
        long oldVersion = 0;
        var unchanged = false;
        await using (var read = new NpgsqlCommand(
            "SELECT document::text, version, document = $3::jsonb FROM config_documents WHERE tenant_id = $1 AND section = $2", connection, transaction))
        {
            read.Parameters.Add(new() { Value = tenantId });
            read.Parameters.Add(new() { Value = section });
            read.Parameters.Add(new() { Value = (object?)json ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                old = reader.GetString(0);
                oldVersion = reader.GetInt64(1);
                unchanged = !reader.IsDBNull(2) && reader.GetBoolean(2);
            }
        }
        if (expectedVersion is { } expected && expected != oldVersion) throw new VersionConflictException(oldVersion);
        if (unchanged || (json is null && old is null)) return oldVersion;

        var now = time.GetUtcNow();
        await using var write = new NpgsqlCommand(json is null
            ? """
              WITH v AS (SELECT nextval('config_version') AS version),
              removed AS (DELETE FROM config_documents WHERE tenant_id = $1 AND section = $2),
              logged AS (INSERT INTO config_changes (version, tenant_id, section, document, changed_at)
                         SELECT version, $1, $2, NULL, $4 FROM v)
              INSERT INTO config_audit (tenant_id, section, version, action, actor_id, actor_role, actor_name, changed_at, old_document, new_document)
              SELECT $1, $2, version, 'delete', $5, $6, $7, $4, $8::jsonb, NULL FROM v
              RETURNING version
              """
            : """
              WITH v AS (SELECT nextval('config_version') AS version),
              stored AS (INSERT INTO config_documents (tenant_id, section, document, version, updated_at, updated_by)
                         SELECT $1, $2, $3::jsonb, version, $4, $5 FROM v
                         ON CONFLICT (tenant_id, section) DO UPDATE
                         SET document = excluded.document, version = excluded.version,
                             updated_at = excluded.updated_at, updated_by = excluded.updated_by),
              logged AS (INSERT INTO config_changes (version, tenant_id, section, document, changed_at)
                         SELECT version, $1, $2, $3::jsonb, $4 FROM v)
              INSERT INTO config_audit (tenant_id, section, version, action, actor_id, actor_role, actor_name, changed_at, old_document, new_document)
              SELECT $1, $2, version, 'put', $5, $6, $7, $4, $8::jsonb, $3::jsonb FROM v
              RETURNING version
              """, connection, transaction);
        write.Parameters.Add(new() { Value = tenantId });
        write.Parameters.Add(new() { Value = section });
        write.Parameters.Add(new() { Value = (object?)json ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        write.Parameters.Add(new() { Value = now });
        write.Parameters.Add(new() { Value = actor.UserId });
        write.Parameters.Add(new() { Value = actor.Role });
        write.Parameters.Add(new() { Value = (object?)actor.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        write.Parameters.Add(new() { Value = (object?)old ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var version = (long)(await write.ExecuteScalarAsync(cancellationToken))!;

        // Delivered to listeners at commit, not before.
        await ExecuteAsync(connection, transaction, $"SELECT pg_notify('{Channel}', '{version}')", cancellationToken);
        return version;
    }

    /// <summary>The highest committed version (0: no change yet).</summary>
    public async Task<long> CurrentVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(version), 0) FROM config_changes");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Every document of the sections and the version they are current as of, consistently.</summary>
    public async Task<ConfigSnapshotRead> ReadSnapshotAsync(IReadOnlyCollection<string> sections, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        long version;
        await using (var max = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM config_changes", connection, transaction))
            version = (long)(await max.ExecuteScalarAsync(cancellationToken))!;

        var documents = new List<StoredDocument>();
        await using (var read = new NpgsqlCommand(
            "SELECT tenant_id, section, document::text, version, updated_at, updated_by FROM config_documents WHERE section = ANY($1) ORDER BY version",
            connection, transaction))
        {
            read.Parameters.Add(new() { Value = sections.ToArray() });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                documents.Add(new StoredDocument(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5)));
        }
        await transaction.CommitAsync(cancellationToken);
        return new ConfigSnapshotRead(version, documents);
    }

    /// <summary>Changes after a version, in version order (all sections when <paramref name="sections"/> is null).</summary>
    public async IAsyncEnumerable<ConfigChangeRow> ReadChangesAfterAsync(long afterVersion, IReadOnlyCollection<string>? sections,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await foreach (var row in ReadChangesAfterAsync(connection, afterVersion, sections, cancellationToken)) yield return row;
    }

    /// <summary>As above, on a connection the caller holds (the change feed's listening connection).</summary>
    public static async IAsyncEnumerable<ConfigChangeRow> ReadChangesAfterAsync(NpgsqlConnection connection, long afterVersion,
        IReadOnlyCollection<string>? sections, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sections is null
            ? "SELECT version, tenant_id, section, document::text FROM config_changes WHERE version > $1 ORDER BY version"
            : "SELECT version, tenant_id, section, document::text FROM config_changes WHERE version > $1 AND section = ANY($2) ORDER BY version",
            connection);
        command.Parameters.Add(new() { Value = afterVersion });
        if (sections is not null) command.Parameters.Add(new() { Value = sections.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return new ConfigChangeRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    /// <summary>The latest audit entries of a tenant, newest first.</summary>
    public async Task<IReadOnlyList<ConfigAuditEntry>> ReadAuditAsync(string tenantId, string? section, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, tenant_id, section, version, action, actor_id, actor_role, actor_name, changed_at, old_document::text, new_document::text
            FROM config_audit WHERE tenant_id = $1 AND ($2::text IS NULL OR section = $2) ORDER BY id DESC LIMIT $3
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = (object?)section ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<ConfigAuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
            entries.Add(new ConfigAuditEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        return entries;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
