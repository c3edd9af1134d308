using System.Security.Cryptography;
using Npgsql;

namespace CustomerService.Webhooks.Registrations;

/// <summary>The webhooks table: every read and write names the tenant, so one tenant never sees another's.</summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string Columns = "id, tenant_id, url, events, description, enabled, created_at, updated_at";

    /// <summary>A new signing secret: "whsec_" and 32 random bytes as hex.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public async Task<IReadOnlyList<Webhook>> ListAsync(string tenant, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id");
        command.Parameters.Add(new() { Value = tenant });
        return await ReadAllAsync(command, ct);
    }

    public async Task<Webhook?> GetAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM webhooks WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        return (await ReadAllAsync(command, ct)).FirstOrDefault();
    }

    public async Task<int> CountAsync(string tenant, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM webhooks WHERE tenant_id = $1");
        command.Parameters.Add(new() { Value = tenant });
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct));
    }

    /// <summary>Stores a new webhook with a fresh secret; returns it and the secret.</summary>
    public async Task<(Webhook Webhook, string Secret)> CreateAsync(string tenant, string url, string[] events, string description, bool enabled,
        CancellationToken ct)
    {
        var secret = NewSecret();
        var now = time.GetUtcNow();
        await using var command = dataSource.CreateCommand(
            $"INSERT INTO webhooks (id, tenant_id, url, secret, events, description, enabled, created_at, updated_at) " +
            $"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {Columns}");
        command.Parameters.Add(new() { Value = Guid.CreateVersion7(now) });
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = url });
        command.Parameters.Add(new() { Value = secret });
        command.Parameters.Add(new() { Value = events });
        command.Parameters.Add(new() { Value = description });
        command.Parameters.Add(new() { Value = enabled });
        command.Parameters.Add(new() { Value = now });
        return ((await ReadAllAsync(command, ct))[0], secret);
    }

    public async Task<Webhook?> UpdateAsync(string tenant, Guid id, string url, string[] events, string description, bool enabled, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE webhooks SET url = $3, events = $4, description = $5, enabled = $6, updated_at = $7 " +
            $"WHERE tenant_id = $1 AND id = $2 RETURNING {Columns}");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = url });
        command.Parameters.Add(new() { Value = events });
        command.Parameters.Add(new() { Value = description });
        command.Parameters.Add(new() { Value = enabled });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        return (await ReadAllAsync(command, ct)).FirstOrDefault();
    }

    /// <summary>Removes the webhook and its deliveries.</summary>
    public async Task<bool> DeleteAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<string?> GetSecretAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT secret FROM webhooks WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>
    /// A new secret, signing from now on; the one it replaces keeps signing beside it for <paramref name="overlap"/>
    /// (zero: not at all). Returns the new secret and when the previous one stops, or null without such a webhook.
    /// </summary>
    public async Task<(string Secret, DateTimeOffset? PreviousExpiresAt)?> RotateSecretAsync(string tenant, Guid id, TimeSpan overlap, CancellationToken ct)
    {
        var secret = NewSecret();
        var now = time.GetUtcNow();
        DateTimeOffset? expires = overlap > TimeSpan.Zero ? now + overlap : null;
        await using var command = dataSource.CreateCommand(
            "UPDATE webhooks SET previous_secret = CASE WHEN $5::timestamptz IS NULL THEN NULL ELSE secret END, previous_secret_expires_at = $5, " +
            "secret = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = secret });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = (object?)expires ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        return await command.ExecuteNonQueryAsync(ct) == 1 ? (secret, expires) : null;
    }

    /// <summary>When the previous secret stops signing, if it still does.</summary>
    public async Task<DateTimeOffset?> PreviousSecretExpiresAtAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT previous_secret_expires_at FROM webhooks WHERE tenant_id = $1 AND id = $2 AND previous_secret_expires_at > now()");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteScalarAsync(ct) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    /// <summary>Every enabled webhook of every tenant: what the consumer matches events against.</summary>
    public async Task<IReadOnlyList<Subscription>> EnabledSubscriptionsAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT id, tenant_id, events FROM webhooks WHERE enabled");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<Subscription>();
        while (await reader.ReadAsync(ct))
            list.Add(new Subscription(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2)));
        return list;
    }

    private static async Task<List<Webhook>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<Webhook>();
        while (await reader.ReadAsync(ct))
            list.Add(new Webhook(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.GetString(4), reader.GetBoolean(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        return list;
    }
}
