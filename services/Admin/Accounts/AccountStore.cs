using Npgsql;
using NpgsqlTypes;

namespace CustomerService.Admin.Accounts;

/// <summary>Accounts and site keys in the admin database.</summary>
public sealed class AccountStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// The accounts with this login, in the named tenant or, without one, in any tenant. At most two come back:
    /// two are enough to know a login without a tenant is ambiguous.
    /// </summary>
    public async Task<IReadOnlyList<Account>> FindByLoginAsync(string? tenant, string login, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, tenant_id, login, display_name, password_hash, role, skill_groups, capacity, active, token_version
            FROM accounts
            WHERE login = $1 AND ($2::text IS NULL OR tenant_id = $2)
            LIMIT 2
            """);
        command.Parameters.Add(new() { Value = login.ToLowerInvariant() });
        command.Parameters.Add(new() { Value = (object?)tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var accounts = new List<Account>(1);
        while (await reader.ReadAsync(cancellationToken))
        {
            accounts.Add(new Account(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetFieldValue<string[]>(6), reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.GetBoolean(8),
                reader.GetInt32(9)));
        }
        return accounts;
    }

    public async Task UpdatePasswordHashAsync(Guid accountId, string passwordHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE accounts SET password_hash = $2 WHERE id = $1");
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = passwordHash });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<VisitorSite?> FindSiteAsync(string siteKey, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {SiteColumns} FROM tenants WHERE site_key = $1");
        command.Parameters.Add(new() { Value = siteKey });
        return await ReadSiteAsync(command, cancellationToken);
    }

    public async Task<VisitorSite?> GetSiteOfTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {SiteColumns} FROM tenants WHERE id = $1");
        command.Parameters.Add(new() { Value = tenantId });
        return await ReadSiteAsync(command, cancellationToken);
    }

    /// <summary>
    /// A new identity secret for the tenant; the one it replaces still verifies until <paramref name="previousUntil"/>
    /// (a rotation during an overlap ends the older secret's at once). Null for an unknown tenant.
    /// </summary>
    public async Task<VisitorSite?> RotateIdentitySecretAsync(string tenantId, string newSecret, DateTimeOffset previousUntil,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE tenants SET previous_identity_secret = identity_secret, previous_identity_secret_until = $3, identity_secret = $2
            WHERE id = $1
            RETURNING {SiteColumns}
            """);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = newSecret });
        command.Parameters.Add(new() { Value = previousUntil.UtcDateTime });
        return await ReadSiteAsync(command, cancellationToken);
    }

    /// <summary>Whether the tenant's identity signatures must expire; null for an unknown tenant.</summary>
    public async Task<VisitorSite?> SetRequireExpiringIdentityAsync(string tenantId, bool required, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"UPDATE tenants SET require_expiring_identity = $2 WHERE id = $1 RETURNING {SiteColumns}");
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = required });
        return await ReadSiteAsync(command, cancellationToken);
    }

    /// <summary>What <see cref="ReadSiteAsync"/> reads, in its order.</summary>
    private const string SiteColumns = "id, identity_secret, previous_identity_secret, previous_identity_secret_until, require_expiring_identity";

    private static async Task<VisitorSite?> ReadSiteAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new VisitorSite(reader.GetString(0), reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
            reader.GetBoolean(4));
    }
}
