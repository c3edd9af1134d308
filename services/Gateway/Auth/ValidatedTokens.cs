using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Claims;
using CustomerService.Contracts;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Auth;

/// <summary>
/// A token that passed validation, with what the revocation check needs ready made: the account key and the
/// token's version (null key for visitors, whose tokens are not revoked).
/// </summary>
internal sealed record ValidatedToken(ClaimsPrincipal Principal, DateTime Expires, string? AccountKey, int Version)
{
    public static ValidatedToken For(ClaimsPrincipal principal, DateTime expires)
    {
        string? tenant = principal.FindFirst(PlatformClaims.Tenant)?.Value, subject = principal.FindFirst(PlatformClaims.Subject)?.Value;
        if (tenant is null || subject is null || principal.FindFirst(PlatformClaims.Role)?.Value == Roles.Visitor)
            return new ValidatedToken(principal, expires, null, 0);
        // A token issued before versions existed has none: version 0, revoked by the account's first revocation.
        var version = int.TryParse(principal.FindFirst(PlatformClaims.TokenVersion)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new ValidatedToken(principal, expires, TokenRevocation.AccountKey(tenant, subject), version);
    }

    public bool IsRevoked(TokenRevocations revocations) => AccountKey is not null && revocations.IsRevoked(AccountKey, Version);
}

/// <summary>
/// Tokens this gateway has already validated. A client sends the same token on every request; remembering the
/// result skips parsing, the signature check and building the claims, the largest part of the gateway's own CPU
/// per request in a profile. Keyed by the whole credential, signature included, so only the exact token that
/// passed can hit; an entry lasts until the token's expiry (with the same clock skew the validator allows).
/// Revocation is checked on every hit (<see cref="TokenEvents"/>), so a remembered token is no shortcut past it.
/// </summary>
internal sealed class ValidatedTokens(TimeProvider time, IOptions<GatewayAuthOptions> options)
{
    // Enough for every connected agent and visitor; anyone can get visitor tokens, so the bound matters.
    // Reaching it just starts over: a miss costs one ordinary validation.
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, ValidatedToken> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _clockSkew = options.Value.ClockSkew;

    public bool TryGet(string credential, [NotNullWhen(true)] out ValidatedToken? token)
    {
        if (_entries.TryGetValue(credential, out var entry))
        {
            if (entry.Expires >= time.GetUtcNow().UtcDateTime - _clockSkew)
            {
                token = entry;
                return true;
            }
            _entries.TryRemove(credential, out _);
        }
        token = null;
        return false;
    }

    public void Remember(string credential, ValidatedToken token)
    {
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[credential] = token;
    }
}
