using System.Net;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CustomerService.Admin.Accounts;

/// <summary>Configuration section <c>Login</c>: how many failed logins are free and how long a lock lasts at most.</summary>
public sealed class LoginThrottleOptions
{
    public const string Section = "Login";

    /// <summary>Failures from one client address at one login before it is locked for 1 s, then 2, 4, ... (doubling).</summary>
    public int FreeFailuresPerSource { get; set; } = 5;
    public TimeSpan MaxLockPerSource { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failures at one login from anywhere before it is locked for everyone: higher, and its lock short, so that an
    /// attacker spread over many addresses cannot guess on, yet cannot keep the real person out for long either.
    /// </summary>
    public int FreeFailuresPerLogin { get; set; } = 20;
    public TimeSpan MaxLockPerLogin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failures older than this are forgotten.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Throttles password guessing per login. A locked login is answered 429 with Retry-After before its password is
/// hashed, so guessing costs the attacker time and the platform no PBKDF2 work. Keys are the login's text, not
/// the account: an unknown login is throttled exactly like a real one and reveals nothing. A success clears the
/// login's failures from that address. Kept in PostgreSQL, so every Admin replica sees the same counts.
/// </summary>
public sealed class LoginThrottle(NpgsqlDataSource dataSource, IOptions<LoginThrottleOptions> options, TimeProvider time)
{
    private LoginThrottleOptions O => options.Value;

    private static string LoginKey(string? tenant, string login) => $"{tenant ?? "*"}|{login.ToLowerInvariant()}";
    private static string SourceKey(string? tenant, string login, IPAddress? source) => $"{LoginKey(tenant, login)}|{source?.ToString() ?? "?"}";

    /// <summary>How long the login is still locked for this caller, or null when it may try.</summary>
    public async Task<TimeSpan?> LockedAsync(string? tenant, string login, IPAddress? source, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT max(locked_until) FROM login_failures WHERE throttle_key = ANY($1) AND locked_until > $2");
        command.Parameters.Add(new() { Value = new[] { LoginKey(tenant, login), SourceKey(tenant, login, source) } });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        var until = await command.ExecuteScalarAsync(ct);
        return until is DateTime lockedUntil ? new DateTimeOffset(lockedUntil, TimeSpan.Zero) - time.GetUtcNow() : null;
    }

    /// <summary>Counts a failure against the login and the login from this address, locking either past its free failures.</summary>
    public async Task FailedAsync(string? tenant, string login, IPAddress? source, CancellationToken ct)
    {
        await CountAsync(SourceKey(tenant, login, source), O.FreeFailuresPerSource, O.MaxLockPerSource, ct);
        await CountAsync(LoginKey(tenant, login), O.FreeFailuresPerLogin, O.MaxLockPerLogin, ct);
    }

    /// <summary>Forgets this address's failures at the login (the login's own count fades with its window).</summary>
    public async Task SucceededAsync(string? tenant, string login, IPAddress? source, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM login_failures WHERE throttle_key = $1");
        command.Parameters.Add(new() { Value = SourceKey(tenant, login, source) });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>1 s at the first failure past the free ones, doubling with each one after, up to the maximum.</summary>
    public static TimeSpan LockFor(int failures, int free, TimeSpan max) =>
        failures <= free ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(max.TotalSeconds, Math.Pow(2, Math.Min(30, failures - free - 1))));

    private async Task CountAsync(string key, int free, TimeSpan maxLock, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var command = dataSource.CreateCommand("""
            INSERT INTO login_failures AS f (throttle_key, failures, first_failure_at) VALUES ($1, 1, $2)
            ON CONFLICT (throttle_key) DO UPDATE SET
                failures = CASE WHEN f.first_failure_at < $3 THEN 1 ELSE f.failures + 1 END,
                first_failure_at = CASE WHEN f.first_failure_at < $3 THEN $2 ELSE f.first_failure_at END,
                locked_until = NULL
            RETURNING failures
            """);
        command.Parameters.Add(new() { Value = key });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = now - O.FailureWindow });
        var failures = (int)(await command.ExecuteScalarAsync(ct))!;
        var lockFor = LockFor(failures, free, maxLock);
        if (lockFor <= TimeSpan.Zero) return;
        await using var locking = dataSource.CreateCommand("UPDATE login_failures SET locked_until = $2 WHERE throttle_key = $1");
        locking.Parameters.Add(new() { Value = key });
        locking.Parameters.Add(new() { Value = now + lockFor });
        await locking.ExecuteNonQueryAsync(ct);
    }
}
