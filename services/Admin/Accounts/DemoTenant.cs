using CustomerService.Admin.Data;
using CustomerService.Contracts;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace CustomerService.Admin.Accounts;

/// <summary>
/// The demo tenant local runs start with (environment Development, or <c>Seed:Demo</c> = true). Idempotent:
/// what exists is left as it is, so a changed demo password stays changed. docs/auth.md lists the accounts.
/// </summary>
internal sealed partial class DemoTenant(
    NpgsqlDataSource dataSource, IPasswordHasher<Account> hasher, IConfiguration configuration, IHostEnvironment environment,
    ILogger<DemoTenant> logger) : IDatabaseSeed
{
    public const string TenantId = "demo";
    public const string SiteKey = "demo-site-key";
    // Documented on purpose so that identified visitors can be tried locally; real tenants get a random secret.
    public const string IdentitySecret = "demo-identity-secret";

    public sealed record DemoAccount(string Login, string Password, string DisplayName, string Role, string[] SkillGroups);

    public static IReadOnlyList<DemoAccount> Accounts { get; } =
    [
        new("admin", "admin123", "Demo Admin", Roles.Admin, []),
        new("carol", "carol123", "Carol (supervisor)", Roles.Supervisor, ["general", "vip"]),
        new("alice", "alice123", "Alice", Roles.Agent, ["general"]),
        new("bob", "bob123", "Bob", Roles.Agent, ["general", "vip"]),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        if (!(configuration.GetValue<bool?>("Seed:Demo") ?? environment.IsDevelopment())) return;

        await using (var tenant = dataSource.CreateCommand("""
            INSERT INTO tenants (id, name, site_key, identity_secret) VALUES ($1, 'Demo Company', $2, $3)
            ON CONFLICT (id) DO NOTHING
            """))
        {
            tenant.Parameters.Add(new() { Value = TenantId });
            tenant.Parameters.Add(new() { Value = SiteKey });
            tenant.Parameters.Add(new() { Value = IdentitySecret });
            await tenant.ExecuteNonQueryAsync(cancellationToken);
        }

        // The skill groups the demo accounts are in (accounts may only name groups that exist).
        await using (var groups = dataSource.CreateCommand("""
            INSERT INTO skill_groups (tenant_id, name, display_name) VALUES ($1, 'general', 'General'), ($1, 'vip', 'VIP')
            ON CONFLICT DO NOTHING
            """))
        {
            groups.Parameters.Add(new() { Value = TenantId });
            await groups.ExecuteNonQueryAsync(cancellationToken);
        }

        var existing = new HashSet<string>();
        await using (var query = dataSource.CreateCommand("SELECT login FROM accounts WHERE tenant_id = $1"))
        {
            query.Parameters.Add(new() { Value = TenantId });
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) existing.Add(reader.GetString(0));
        }

        var added = 0;
        foreach (var demo in Accounts)
        {
            // Hashing is deliberately slow: only for accounts that are missing.
            if (existing.Contains(demo.Login)) continue;
            var hash = hasher.HashPassword(Unsaved(demo), demo.Password);
            await using var insert = dataSource.CreateCommand("""
                INSERT INTO accounts (tenant_id, login, display_name, password_hash, role, skill_groups)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant_id, login) DO NOTHING
                """);
            insert.Parameters.Add(new() { Value = TenantId });
            insert.Parameters.Add(new() { Value = demo.Login });
            insert.Parameters.Add(new() { Value = demo.DisplayName });
            insert.Parameters.Add(new() { Value = hash });
            insert.Parameters.Add(new() { Value = demo.Role });
            insert.Parameters.Add(new() { Value = demo.SkillGroups });
            added += await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        if (added > 0) LogSeeded(added, TenantId);
    }

    private static Account Unsaved(DemoAccount demo) =>
        new(Guid.Empty, TenantId, demo.Login, demo.DisplayName, "", demo.Role, demo.SkillGroups, null, true);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded {Count} demo accounts in tenant {Tenant}")]
    private partial void LogSeeded(int count, string tenant);
}
