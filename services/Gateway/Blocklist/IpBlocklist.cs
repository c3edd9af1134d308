using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace CustomerService.Gateway.Blocklist;

/// <summary>
/// The blocked client addresses this gateway enforces: a copy of the Redis set, swapped whole on each refresh so
/// the check on every request is one lock-free lookup.
/// </summary>
public sealed class IpBlocklist
{
    private FrozenSet<IPAddress> _blocked = FrozenSet<IPAddress>.Empty;

    public IReadOnlyCollection<IPAddress> Blocked => Volatile.Read(ref _blocked);

    public bool IsBlocked(IPAddress? address)
    {
        var blocked = Volatile.Read(ref _blocked);
        return blocked.Count > 0 && address is not null && blocked.Contains(Normalize(address));
    }

    public void Replace(IEnumerable<IPAddress> addresses) => Volatile.Write(ref _blocked, addresses.Select(Normalize).ToFrozenSet());

    /// <summary>A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; the list holds them as a.b.c.d.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public static bool TryParse(string? text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || !IPAddress.TryParse(text.Trim(), out var parsed)) return false;
        address = Normalize(parsed);
        return true;
    }
}
