using CustomerService.Webhooks.Events;
using CustomerService.Webhooks.Registrations;
using Npgsql;

namespace CustomerService.Webhooks.Delivery;

/// <summary>A delivery as the admin API shows it (no body: it can be large; GET one for the body).</summary>
public sealed record DeliveryInfo(Guid Id, Guid WebhookId, string Event, string SourceId, string State, int Attempts,
    DateTimeOffset NextAttemptAt, int? LastStatus, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt,
    DateTimeOffset? DeadAt, string? Body);

/// <summary>A delivery claimed for one attempt, with where to send it and the secret to sign it with.</summary>
public sealed record ClaimedDelivery(Guid Id, Guid WebhookId, string TenantId, string Event, string Body, int Attempts, string Url, string Secret,
    string? PreviousSecret = null);

/// <summary>The webhook_deliveries table: the outbox between the JetStream consumer and the dispatcher.</summary>
public sealed class DeliveryStore(NpgsqlDataSource dataSource)
{
    public static readonly string[] States = ["pending", "delivered", "dead"];

    private const string InfoColumns =
        "id, webhook_id, event, source_id, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at, dead_at";

    /// <summary>
    /// One delivery per (event, webhook), in one transaction; a pair that exists already (the JetStream message came
    /// again) is left as it is. Returns how many were new.
    /// </summary>
    public async Task<int> CreateAsync(IReadOnlyList<(WebhookEvent Event, Subscription Webhook)> deliveries, CancellationToken ct)
    {
        if (deliveries.Count == 0) return 0;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var (e, webhook) in deliveries)
        {
            var id = Guid.CreateVersion7();
            var command = new NpgsqlBatchCommand(
                "INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, source_id, body) VALUES ($1, $2, $3, $4, $5, $6) " +
                "ON CONFLICT (webhook_id, event, source_id) DO NOTHING");
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { Value = webhook.Id });
            command.Parameters.Add(new() { Value = webhook.TenantId });
            command.Parameters.Add(new() { Value = e.Name });
            command.Parameters.Add(new() { Value = e.SourceId });
            command.Parameters.Add(new() { Value = e.BodyFor(id) });
            batch.BatchCommands.Add(command);
        }
        try
        {
            // A batch runs in one implicit transaction: all rows or none.
            await batch.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // A webhook was deleted since the registrations were read: try again without it next time.
            throw new WebhookGoneException(e);
        }
        int inserted = 0;
        foreach (NpgsqlBatchCommand command in batch.BatchCommands) inserted += command.RecordsAffected;
        return inserted;
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due deliveries of enabled webhooks for one attempt: they are moved
    /// <paramref name="lease"/> into the future, so no other replica takes them while the attempt runs, and a
    /// replica that dies mid-attempt leaves them to be tried again when the lease ends.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int limit, TimeSpan lease, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            WITH due AS (
                SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND w.enabled
                ORDER BY d.next_attempt_at
                LIMIT $1
                FOR UPDATE OF d SKIP LOCKED)
            UPDATE webhook_deliveries d SET next_attempt_at = now() + $2
            FROM due, webhooks w
            WHERE d.id = due.id AND w.id = d.webhook_id
            RETURNING d.id, d.webhook_id, d.tenant_id, d.event, d.body, d.attempts, w.url, w.secret,
                      CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END
            """);
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = lease });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(ct))
            list.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetString(6), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        return list;
    }

    public async Task MarkDeliveredAsync(Guid id, int status, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL, delivered_at = now() " +
            "WHERE id = $1 AND state = 'pending'");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = status });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A failed attempt: tried again after <paramref name="retryIn"/>, or dead when <paramref name="dead"/>.</summary>
    public async Task MarkFailedAsync(Guid id, int? status, string error, bool dead, TimeSpan retryIn, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, " +
            "state = CASE WHEN $4 THEN 'dead' ELSE 'pending' END, dead_at = CASE WHEN $4 THEN now() END, next_attempt_at = now() + $5 " +
            "WHERE id = $1 AND state = 'pending'");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = error.Length > 500 ? error[..500] : error });
        command.Parameters.Add(new() { Value = dead });
        command.Parameters.Add(new() { Value = retryIn });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Put back unattempted (the webhook's circuit is open): due again after <paramref name="wait"/>, attempts unchanged.</summary>
    public async Task DeferAsync(Guid id, TimeSpan wait, string reason, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE webhook_deliveries SET next_attempt_at = now() + $2, last_error = $3 WHERE id = $1 AND state = 'pending'");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = wait });
        command.Parameters.Add(new() { Value = reason });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The receiver answered 410 Gone: the webhook is switched off (its deliveries wait until it is enabled).</summary>
    public async Task DisableWebhookAsync(Guid webhookId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE webhooks SET enabled = false, updated_at = now() WHERE id = $1");
        command.Parameters.Add(new() { Value = webhookId });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The tenant's deliveries, newest first; optionally of one webhook and in one state.</summary>
    public async Task<IReadOnlyList<DeliveryInfo>> ListAsync(string tenant, Guid? webhookId, string? state, int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {InfoColumns} FROM webhook_deliveries WHERE tenant_id = $1 AND ($2::uuid IS NULL OR webhook_id = $2) " +
            "AND ($3::text IS NULL OR state = $3) ORDER BY created_at DESC, id DESC LIMIT $4");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = (object?)webhookId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        return await ReadAsync(command, withBody: false, ct);
    }

    public async Task<DeliveryInfo?> GetAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {InfoColumns}, body FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        return (await ReadAsync(command, withBody: true, ct)).FirstOrDefault();
    }

    /// <summary>
    /// Sends a dead (or delivered) delivery again: pending, attempt count 0, due now, same delivery id and body.
    /// Null when the tenant has no such delivery; false when it is pending already.
    /// </summary>
    public async Task<bool?> ReplayAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), dead_at = NULL, delivered_at = NULL " +
            "WHERE tenant_id = $1 AND id = $2 AND state <> 'pending'");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        if (await command.ExecuteNonQueryAsync(ct) == 1) return true;
        return await GetAsync(tenant, id, ct) is null ? null : false;
    }

    /// <summary>Every dead delivery of the tenant (of one webhook, when given) sent again; returns how many.</summary>
    public async Task<int> ReplayDeadAsync(string tenant, Guid? webhookId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), dead_at = NULL " +
            "WHERE tenant_id = $1 AND state = 'dead' AND ($2::uuid IS NULL OR webhook_id = $2)");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = (object?)webhookId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Removes a dead delivery for good. Null: no such delivery; false: it is not dead.</summary>
    public async Task<bool?> DiscardAsync(string tenant, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2 AND state = 'dead'");
        command.Parameters.Add(new() { Value = tenant });
        command.Parameters.Add(new() { Value = id });
        if (await command.ExecuteNonQueryAsync(ct) == 1) return true;
        return await GetAsync(tenant, id, ct) is null ? null : false;
    }

    private static async Task<List<DeliveryInfo>> ReadAsync(NpgsqlCommand command, bool withBody, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<DeliveryInfo>();
        while (await reader.ReadAsync(ct))
            list.Add(new DeliveryInfo(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
                withBody ? reader.GetString(12) : null));
        return list;
    }
}

/// <summary>A delivery named a webhook deleted in the meantime.</summary>
public sealed class WebhookGoneException(Exception inner) : Exception("A webhook was deleted while its deliveries were being stored.", inner);
