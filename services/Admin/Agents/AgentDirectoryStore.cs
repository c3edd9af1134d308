using System.Text.Json;
using CustomerService.Admin.Accounts;
using CustomerService.Admin.Configuration;
using CustomerService.LiveConfig;
using Npgsql;
using NpgsqlTypes;

namespace CustomerService.Admin.Agents;

public sealed record AgentView(Guid Id, string Login, string DisplayName, string Role, string[] SkillGroups, int? Capacity, bool Active,
    DateTimeOffset CreatedAt);

public sealed record SkillGroupView(string Name, string? DisplayName, string? Description, DateTimeOffset CreatedAt);

public sealed record DirectoryAuditEntry(long Id, string Entity, string EntityId, string Action, string ActorId, string ActorRole, string? ActorName,
    DateTimeOffset ChangedAt, JsonElement? OldValue, JsonElement? NewValue);

/// <summary>What became of an agent write: the agent, or why not.</summary>
public sealed record AgentWriteResult(AgentView? Agent, bool NotFound = false, bool LoginTaken = false, string[]? MissingSkillGroups = null);

/// <summary>An agent as written: the password hash only when it changes.</summary>
public sealed record AgentRecord(string Login, string DisplayName, string Role, string[] SkillGroups, int? Capacity, bool Active, string? PasswordHash);

/// <summary>
/// Agents (the accounts table) and skill groups of a tenant. Every write runs in one transaction with its audit
/// entry and the tenant's <see cref="AgentDirectory"/> document (section <c>agents</c>), published through the
/// <see cref="ConfigStore"/> under its write lock, so Routing sees each change over the config stream, in order.
/// A role change, deactivation, password reset or deletion also revokes the account's tokens in that transaction
/// (<see cref="AccountRevocations"/>), announced once it has committed.
/// </summary>
public sealed class AgentDirectoryStore(NpgsqlDataSource dataSource, ConfigStore config, AccountRevocations revocations, TimeProvider time)
{
    /// <summary>Who publishes the directory when no person did (on start).</summary>
    public static readonly GatewayCaller System = new("*", "admin-service", "system", "directory publisher", []);

    private const string AgentColumns = "id, login, display_name, role, skill_groups, capacity, active, created_at";

    public async Task<IReadOnlyList<AgentView>> ListAgentsAsync(string tenantId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {AgentColumns} FROM accounts WHERE tenant_id = $1 ORDER BY login");
        command.Parameters.Add(new() { Value = tenantId });
        return await ReadAgentsAsync(command, ct);
    }

    public async Task<AgentView?> GetAgentAsync(string tenantId, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {AgentColumns} FROM accounts WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = id });
        return (await ReadAgentsAsync(command, ct)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<SkillGroupView>> ListSkillGroupsAsync(string tenantId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, display_name, description, created_at FROM skill_groups WHERE tenant_id = $1 ORDER BY name");
        command.Parameters.Add(new() { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var groups = new List<SkillGroupView>();
        while (await reader.ReadAsync(ct)) groups.Add(ReadSkillGroup(reader));
        return groups;
    }

    public async Task<IReadOnlyList<DirectoryAuditEntry>> ReadAuditAsync(string tenantId, int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, entity, entity_id, action, actor_id, actor_role, actor_name, changed_at, old_value::text, new_value::text
            FROM directory_audit WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var entries = new List<DirectoryAuditEntry>();
        while (await reader.ReadAsync(ct))
            entries.Add(new DirectoryAuditEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : JsonDocument.Parse(reader.GetString(8)).RootElement.Clone(),
                reader.IsDBNull(9) ? null : JsonDocument.Parse(reader.GetString(9)).RootElement.Clone()));
        return entries;
    }

    /// <summary>The skill groups of <paramref name="names"/> that the tenant does not have, in the order given.</summary>
    private static async Task<string[]> MissingSkillGroupsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId,
        string[] names, CancellationToken ct)
    {
        if (names.Length == 0) return [];
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT name FROM skill_groups WHERE tenant_id = $1 AND name = ANY($2)", connection, transaction);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = names });
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) known.Add(reader.GetString(0));
        return names.Where(n => !known.Contains(n)).ToArray();
    }

    public Task<AgentWriteResult> CreateAgentAsync(string tenantId, AgentRecord agent, GatewayCaller actor, CancellationToken ct) =>
        config.InWriteTransactionAsync(async (connection, transaction) =>
        {
            // Checked under the write lock: a skill group cannot be deleted between the check and the write.
            if (await MissingSkillGroupsAsync(connection, transaction, tenantId, agent.SkillGroups, ct) is { Length: > 0 } missing)
                return new AgentWriteResult(null, MissingSkillGroups: missing);
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO accounts (tenant_id, login, display_name, password_hash, role, skill_groups, capacity, active)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (tenant_id, login) DO NOTHING
                RETURNING {AgentColumns}
                """, connection, transaction);
            insert.Parameters.Add(new() { Value = tenantId });
            insert.Parameters.Add(new() { Value = agent.Login });
            insert.Parameters.Add(new() { Value = agent.DisplayName });
            insert.Parameters.Add(new() { Value = agent.PasswordHash! });
            insert.Parameters.Add(new() { Value = agent.Role });
            insert.Parameters.Add(new() { Value = agent.SkillGroups });
            insert.Parameters.Add(new() { Value = (object?)agent.Capacity ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(new() { Value = agent.Active });
            var created = (await ReadAgentsAsync(insert, ct)).FirstOrDefault();
            if (created is null) return new AgentWriteResult(null, LoginTaken: true);
            await AuditAsync(connection, transaction, tenantId, "agent", created.Id.ToString(), "create", actor, null, created, ct);
            await PublishAsync(connection, transaction, tenantId, actor, ct);
            return new AgentWriteResult(created);
        }, ct);

    public async Task<AgentWriteResult> UpdateAgentAsync(string tenantId, Guid id, AgentRecord agent, GatewayCaller actor, CancellationToken ct)
    {
        TokenRevocation? revoked = null;
        var result = await config.InWriteTransactionAsync(async (connection, transaction) =>
        {
            var old = await LockAgentAsync(connection, transaction, tenantId, id, ct);
            if (old is null) return new AgentWriteResult(null, NotFound: true);
            if (await MissingSkillGroupsAsync(connection, transaction, tenantId, agent.SkillGroups, ct) is { Length: > 0 } missing)
                return new AgentWriteResult(null, MissingSkillGroups: missing);
            await using (var taken = new NpgsqlCommand("SELECT 1 FROM accounts WHERE tenant_id = $1 AND login = $2 AND id <> $3", connection, transaction))
            {
                taken.Parameters.Add(new() { Value = tenantId });
                taken.Parameters.Add(new() { Value = agent.Login });
                taken.Parameters.Add(new() { Value = id });
                if (await taken.ExecuteScalarAsync(ct) is not null) return new AgentWriteResult(null, LoginTaken: true);
            }
            await using var update = new NpgsqlCommand($"""
                UPDATE accounts SET login = $3, display_name = $4, role = $5, skill_groups = $6, capacity = $7, active = $8,
                                    password_hash = coalesce($9, password_hash)
                WHERE tenant_id = $1 AND id = $2
                RETURNING {AgentColumns}
                """, connection, transaction);
            update.Parameters.Add(new() { Value = tenantId });
            update.Parameters.Add(new() { Value = id });
            update.Parameters.Add(new() { Value = agent.Login });
            update.Parameters.Add(new() { Value = agent.DisplayName });
            update.Parameters.Add(new() { Value = agent.Role });
            update.Parameters.Add(new() { Value = agent.SkillGroups });
            update.Parameters.Add(new() { Value = (object?)agent.Capacity ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            update.Parameters.Add(new() { Value = agent.Active });
            update.Parameters.Add(new() { Value = (object?)agent.PasswordHash ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            var updated = (await ReadAgentsAsync(update, ct)).Single();
            if (RevocationReason(old, updated, agent.PasswordHash is not null) is { } reason)
                revoked = await revocations.RevokeAsync(connection, transaction, tenantId, id, reason, ct);
            await AuditAsync(connection, transaction, tenantId, "agent", id.ToString(), "update", actor, old, updated, ct);
            await PublishAsync(connection, transaction, tenantId, actor, ct);
            return new AgentWriteResult(updated);
        }, ct);
        if (revoked is { } committed) await revocations.AnnounceAsync(committed);
        return result;
    }

    /// <summary>
    /// The changes after which the tokens issued before must stop working: what they say (the role) or that they may
    /// be used at all (active, the password that got them) is no longer true. A new name or skill groups leave them.
    /// </summary>
    private static string? RevocationReason(AgentView old, AgentView updated, bool passwordSet) =>
        old.Role != updated.Role ? RevocationReasons.RoleChanged
        : old.Active && !updated.Active ? RevocationReasons.Deactivated
        : passwordSet ? RevocationReasons.PasswordReset
        : null;

    public async Task<bool> DeleteAgentAsync(string tenantId, Guid id, GatewayCaller actor, CancellationToken ct)
    {
        TokenRevocation? revoked = null;
        var deleted = await config.InWriteTransactionAsync(async (connection, transaction) =>
        {
            var old = await LockAgentAsync(connection, transaction, tenantId, id, ct);
            if (old is null) return false;
            revoked = await revocations.RevokeDeletedAsync(connection, transaction, tenantId, id, ct);
            await using (var delete = new NpgsqlCommand("DELETE FROM accounts WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                delete.Parameters.Add(new() { Value = tenantId });
                delete.Parameters.Add(new() { Value = id });
                await delete.ExecuteNonQueryAsync(ct);
            }
            await AuditAsync(connection, transaction, tenantId, "agent", id.ToString(), "delete", actor, old, null, ct);
            await PublishAsync(connection, transaction, tenantId, actor, ct);
            return true;
        }, ct);
        if (revoked is { } committed) await revocations.AnnounceAsync(committed);
        return deleted;
    }

    /// <returns>The new group; null when the tenant has one of that name.</returns>
    public Task<SkillGroupView?> CreateSkillGroupAsync(string tenantId, string name, string? displayName, string? description, GatewayCaller actor,
        CancellationToken ct) =>
        config.InWriteTransactionAsync(async (connection, transaction) =>
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO skill_groups (tenant_id, name, display_name, description) VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING RETURNING name, display_name, description, created_at
                """, connection, transaction);
            insert.Parameters.Add(new() { Value = tenantId });
            insert.Parameters.Add(new() { Value = name });
            insert.Parameters.Add(new() { Value = (object?)displayName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            SkillGroupView? created;
            await using (var reader = await insert.ExecuteReaderAsync(ct))
                created = await reader.ReadAsync(ct) ? ReadSkillGroup(reader) : null;
            if (created is null) return null;
            await AuditAsync(connection, transaction, tenantId, "skill_group", name, "create", actor, null, created, ct);
            await PublishAsync(connection, transaction, tenantId, actor, ct);
            return created;
        }, ct);

    public Task<SkillGroupView?> UpdateSkillGroupAsync(string tenantId, string name, string? displayName, string? description, GatewayCaller actor,
        CancellationToken ct) =>
        config.InWriteTransactionAsync(async (connection, transaction) =>
        {
            var old = await LockSkillGroupAsync(connection, transaction, tenantId, name, ct);
            if (old is null) return null;
            await using var update = new NpgsqlCommand("""
                UPDATE skill_groups SET display_name = $3, description = $4 WHERE tenant_id = $1 AND name = $2
                RETURNING name, display_name, description, created_at
                """, connection, transaction);
            update.Parameters.Add(new() { Value = tenantId });
            update.Parameters.Add(new() { Value = name });
            update.Parameters.Add(new() { Value = (object?)displayName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            update.Parameters.Add(new() { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            SkillGroupView updated;
            await using (var reader = await update.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                updated = ReadSkillGroup(reader);
            }
            await AuditAsync(connection, transaction, tenantId, "skill_group", name, "update", actor, old, updated, ct);
            await PublishAsync(connection, transaction, tenantId, actor, ct);
            return updated;
        }, ct);

    /// <returns>Found: whether the group existed; UsedBy: the logins of agents in it (then nothing was deleted).</returns>
    public Task<(bool Found, string[] UsedBy)> DeleteSkillGroupAsync(string tenantId, string name, GatewayCaller actor, CancellationToken ct) =>
        config.InWriteTransactionAsync(async (connection, transaction) =>
        {
            var old = await LockSkillGroupAsync(connection, transaction, tenantId, name, ct);
            if (old is null) return (false, Array.Empty<string>());
            var usedBy = new List<string>();
            await using (var used = new NpgsqlCommand("SELECT login FROM accounts WHERE tenant_id = $1 AND $2 = ANY(skill_groups) ORDER BY login",
                connection, transaction))
            {
                used.Parameters.Add(new() { Value = tenantId });
                used.Parameters.Add(new() { Value = name });
                await using var reader = await used.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) usedBy.Add(reader.GetString(0));
            }
            if (usedBy.Count > 0) return (true, usedBy.ToArray());
            await using (var delete = new NpgsqlCommand("DELETE FROM skill_groups WHERE tenant_id = $1 AND name = $2", connection, transaction))
            {
                delete.Parameters.Add(new() { Value = tenantId });
                delete.Parameters.Add(new() { Value = name });
                await delete.ExecuteNonQueryAsync(ct);
            }
            await AuditAsync(connection, transaction, tenantId, "skill_group", name, "delete", actor, old, null, ct);
            await PublishAsync(connection, transaction, tenantId, actor, ct);
            return (true, Array.Empty<string>());
        }, ct);

    /// <summary>Publishes every tenant's directory whose document differs from its tables (on start: seeded or migrated accounts).</summary>
    public async Task PublishAllAsync(CancellationToken ct)
    {
        var tenants = new List<string>();
        await using (var command = dataSource.CreateCommand("SELECT id FROM tenants ORDER BY id"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) tenants.Add(reader.GetString(0));
        foreach (var tenant in tenants)
            await config.InWriteTransactionAsync((connection, transaction) => PublishAsync(connection, transaction, tenant, System, ct), ct);
    }

    /// <summary>Writes the tenant's directory document as its tables now are (no change when equal to the published one).</summary>
    private async Task<long> PublishAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, GatewayCaller actor, CancellationToken ct)
    {
        var groups = new List<SkillGroup>();
        await using (var read = new NpgsqlCommand("SELECT name, display_name, description FROM skill_groups WHERE tenant_id = $1 ORDER BY name",
            connection, transaction))
        {
            read.Parameters.Add(new() { Value = tenantId });
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                groups.Add(new SkillGroup
                {
                    Name = reader.GetString(0),
                    DisplayName = reader.IsDBNull(1) ? null : reader.GetString(1),
                    Description = reader.IsDBNull(2) ? null : reader.GetString(2),
                });
        }
        var agents = new List<AgentEntry>();
        await using (var read = new NpgsqlCommand($"SELECT {AgentColumns} FROM accounts WHERE tenant_id = $1 ORDER BY login", connection, transaction))
        {
            read.Parameters.Add(new() { Value = tenantId });
            foreach (var a in await ReadAgentsAsync(read, ct))
                agents.Add(new AgentEntry
                {
                    Id = a.Id.ToString(), Login = a.Login, DisplayName = a.DisplayName, Role = a.Role,
                    SkillGroups = a.SkillGroups, Capacity = a.Capacity, Active = a.Active,
                });
        }
        var document = new AgentDirectory { SkillGroups = groups, Agents = agents };
        var json = ConfigSections.Get(ConfigSections.Agents).Serialize(document);
        return await config.PutAsync(connection, transaction, tenantId, ConfigSections.Agents, json, actor, null, ct);
    }

    private async Task AuditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, string entity, string entityId,
        string action, GatewayCaller actor, object? old, object? @new, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO directory_audit (tenant_id, entity, entity_id, action, actor_id, actor_role, actor_name, changed_at, old_value, new_value)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)
            """, connection, transaction);
        insert.Parameters.Add(new() { Value = tenantId });
        insert.Parameters.Add(new() { Value = entity });
        insert.Parameters.Add(new() { Value = entityId });
        insert.Parameters.Add(new() { Value = action });
        insert.Parameters.Add(new() { Value = actor.UserId });
        insert.Parameters.Add(new() { Value = actor.Role });
        insert.Parameters.Add(new() { Value = (object?)actor.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new() { Value = time.GetUtcNow() });
        insert.Parameters.Add(new() { Value = old is null ? DBNull.Value : JsonSerializer.Serialize(old, AgentsApi.Json), NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new() { Value = @new is null ? DBNull.Value : JsonSerializer.Serialize(@new, AgentsApi.Json), NpgsqlDbType = NpgsqlDbType.Text });
        await insert.ExecuteNonQueryAsync(ct);
    }

    private static async Task<AgentView?> LockAgentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid id,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {AgentColumns} FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            connection, transaction);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = id });
        return (await ReadAgentsAsync(command, ct)).FirstOrDefault();
    }

    private static async Task<SkillGroupView?> LockSkillGroupAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId,
        string name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT name, display_name, description, created_at FROM skill_groups WHERE tenant_id = $1 AND name = $2 FOR UPDATE",
            connection, transaction);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = name });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadSkillGroup(reader) : null;
    }

    private static SkillGroupView ReadSkillGroup(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetFieldValue<DateTimeOffset>(3));

    private static async Task<List<AgentView>> ReadAgentsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var agents = new List<AgentView>();
        while (await reader.ReadAsync(ct))
            agents.Add(new AgentView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<string[]>(4), reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.GetBoolean(6),
                reader.GetFieldValue<DateTimeOffset>(7)));
        return agents;
    }
}
