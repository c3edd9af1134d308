using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace CustomerService.Admin.Accounts;

/// <summary>Why an account's tokens were revoked (recorded in <c>token_revocations.reason</c>).</summary>
public static class RevocationReasons
{
    public const string RoleChanged = "role changed";
    public const string Deactivated = "deactivated";
    public const string Deleted = "deleted";
    public const string PasswordReset = "password reset";
    public const string Logout = "logout";
}

/// <summary>
/// Revokes every token an account holds: raises its <c>token_version</c> and records the new minimum in
/// <c>token_revocations</c> (in the caller's transaction, so the change and its revocation commit together), then,
/// after the commit, announces it through Redis (<see cref="TokenRevocationStore"/>) to every gateway and Session
/// replica. PostgreSQL is the source of truth: every <see cref="TokenOptions.RevocationResendInterval"/> (and on
/// start) the revocations still in force are announced again, so one that Redis missed (down, restarted, flushed)
/// arrives late rather than never, and expired ones are dropped.
/// </summary>
public sealed partial class AccountRevocations(
    NpgsqlDataSource dataSource, TokenRevocationStore feed, IOptions<TokenOptions> options, TimeProvider time, ILogger<AccountRevocations> logger)
    : BackgroundService
{
    /// <summary>Kept past the token lifetime by this much: the gateway still accepts a token up to its clock skew after exp.</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    /// <summary>Inside a transaction: revokes the account's tokens. Null when the account does not exist (its tokens are already revoked).</summary>
    public async Task<TokenRevocation?> RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid accountId,
        string reason, CancellationToken ct)
    {
        int version;
        await using (var bump = new NpgsqlCommand(
            "UPDATE accounts SET token_version = token_version + 1 WHERE tenant_id = $1 AND id = $2 RETURNING token_version", connection, transaction))
        {
            bump.Parameters.Add(new() { Value = tenantId });
            bump.Parameters.Add(new() { Value = accountId });
            if (await bump.ExecuteScalarAsync(ct) is not int bumped) return null;
            version = bumped;
        }
        return await RecordAsync(connection, transaction, tenantId, accountId, version, reason, ct);
    }

    /// <summary>Inside the transaction that deletes the account: none of its tokens is valid any more, whatever its version.</summary>
    public Task<TokenRevocation> RevokeDeletedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid accountId,
        CancellationToken ct) =>
        RecordAsync(connection, transaction, tenantId, accountId, TokenRevocation.Deleted, RevocationReasons.Deleted, ct);

    /// <summary>Revokes and announces in one go (logout), in a transaction of its own.</summary>
    public async Task RevokeAsync(string tenantId, Guid accountId, string reason, CancellationToken ct)
    {
        TokenRevocation? revocation;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            revocation = await RevokeAsync(connection, transaction, tenantId, accountId, reason, ct);
            await transaction.CommitAsync(ct);
        }
        if (revocation is { } committed) await AnnounceAsync(committed);
    }

    private async Task<TokenRevocation> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid accountId,
        int minVersion, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.TokenLifetime + ExpiryMargin;
        await using var record = new NpgsqlCommand("""
            INSERT INTO token_revocations (tenant_id, account_id, min_version, reason, revoked_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, account_id) DO UPDATE
                SET min_version = greatest(token_revocations.min_version, excluded.min_version), reason = excluded.reason,
                    revoked_at = excluded.revoked_at, expires_at = greatest(token_revocations.expires_at, excluded.expires_at)
            RETURNING min_version, expires_at
            """, connection, transaction);
        record.Parameters.Add(new() { Value = tenantId });
        record.Parameters.Add(new() { Value = accountId });
        record.Parameters.Add(new() { Value = minVersion });
        record.Parameters.Add(new() { Value = reason });
        record.Parameters.Add(new() { Value = now });
        record.Parameters.Add(new() { Value = expires });
        await using var reader = await record.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        LogRevoked(tenantId, accountId, reason);
        return new TokenRevocation(tenantId, accountId.ToString(), reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>After the commit: tells the gateways and Session. A failure is logged; the next resend repairs it.</summary>
    public async Task AnnounceAsync(TokenRevocation revocation)
    {
        try { await feed.AnnounceAsync(revocation); }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogAnnounceFailed(revocation.Tenant, revocation.Account, options.Value.RevocationResendInterval.TotalSeconds, ex.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await ResendAsync(stoppingToken); }
            catch (Exception ex) when (ex is NpgsqlException or RedisException or TimeoutException) { LogResendFailed(ex.Message); }
            try { await Task.Delay(options.Value.RevocationResendInterval, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>
    /// Announces the revocations in force that Redis lacks (or has lower), and drops the expired ones from both.
    /// Runs on every Admin replica; each step is idempotent.
    /// </summary>
    internal async Task ResendAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using (var expired = dataSource.CreateCommand("DELETE FROM token_revocations WHERE expires_at < $1"))
        {
            expired.Parameters.Add(new() { Value = now });
            await expired.ExecuteNonQueryAsync(ct);
        }
        var inForce = new List<TokenRevocation>();
        await using (var read = dataSource.CreateCommand("SELECT tenant_id, account_id, min_version, expires_at FROM token_revocations"))
        await using (var reader = await read.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                inForce.Add(new TokenRevocation(reader.GetString(0), reader.GetGuid(1).ToString(), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)));
        await feed.ForgetExpiredAsync(now);
        var announced = (await feed.LoadAsync()).ToDictionary(r => r.Key, r => r.MinVersion, StringComparer.Ordinal);
        var repaired = 0;
        foreach (var revocation in inForce)
            if ((!announced.TryGetValue(revocation.Key, out var min) || min < revocation.MinVersion) && await feed.AnnounceAsync(revocation)) repaired++;
        if (repaired > 0) LogRepaired(repaired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tokens of account {Tenant}/{Account} revoked: {Reason}")]
    private partial void LogRevoked(string tenant, Guid account, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Revocation of {Tenant}/{Account} committed but not announced (Redis): it is resent within {Seconds} s. {Reason}")]
    private partial void LogAnnounceFailed(string tenant, string account, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revocations not resent, next try in a while: {Reason}")]
    private partial void LogResendFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} revocations were missing in Redis and are announced again")]
    private partial void LogRepaired(int count);
}
