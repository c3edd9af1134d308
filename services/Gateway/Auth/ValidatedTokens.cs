using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Auth;

/// <summary>
/// Tokens this gateway has already validated. A client sends the same token on every request; remembering the
/// result skips parsing, the signature check and building the claims, the largest part of the gateway's own CPU
/// per request in a profile. Keyed by the whole credential, signature included, so only the exact token that
/// passed can hit; an entry lasts until the token's expiry (with the same clock skew the validator allows).
/// </summary>
internal sealed class ValidatedTokens(TimeProvider time, IOptions<GatewayAuthOptions> options)
{
    // Enough for every connected agent and visitor; anyone can get visitor tokens, so the bound matters.
    // Reaching it just starts over: a miss costs one ordinary validation.
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _clockSkew = options.Value.ClockSkew;

    private sealed record Entry(ClaimsPrincipal Principal, DateTime Expires);

    public bool TryGet(string credential, [NotNullWhen(true)] out ClaimsPrincipal? principal)
    {
        if (_entries.TryGetValue(credential, out var entry))
        {
            if (entry.Expires >= time.GetUtcNow().UtcDateTime - _clockSkew)
            {
                principal = entry.Principal;
                return true;
            }
            _entries.TryRemove(credential, out _);
        }
        principal = null;
        return false;
    }

    public void Remember(string credential, ClaimsPrincipal principal, DateTime expires)
    {
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[credential] = new Entry(principal, expires);
    }
}
