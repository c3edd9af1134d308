using System.Net;

namespace CustomerService.Gateway.RateLimiting;

/// <summary>Request limits (configuration section <c>RateLimits</c>); WebSocket frames are not requests and do not count.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Per client IP address, before anything else is known about the caller.</summary>
    public TokenBucket PerIp { get; set; } = new() { TokenLimit = 400, TokensPerPeriod = 200 };

    /// <summary>Per token subject (tenant and sub): one agent or visitor cannot crowd out the others.</summary>
    public TokenBucket PerSubject { get; set; } = new() { TokenLimit = 100, TokensPerPeriod = 50 };

    /// <summary>
    /// Networks whose addresses get a bucket of their own size instead of <see cref="PerIp"/>: an explicit, visible
    /// allowance for a known source (a load generator on loopback in local runs, a customer's NAT), never a hidden
    /// exemption. Every refusal is still a 429 the caller counts.
    /// </summary>
    public List<AddressAllowance> Allowances { get; set; } = [];

    /// <summary>Visitor tokens (<c>POST /api/auth/visitor</c>), counted before Admin signs anything.</summary>
    public VisitorTokenBuckets VisitorTokens { get; set; } = new();

    /// <summary>The first allowance whose network holds <paramref name="address"/> (IPv4 clients on dual-stack sockets as IPv4), if any.</summary>
    public AddressAllowance? AllowanceFor(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var allowance in Allowances)
            if (allowance.TryGetNetwork(out var network) && network.Contains(address)) return allowance;
        return null;
    }
}

/// <summary>
/// Buckets of visitor-token issuance: a page load asks for one token, so a handful from one address is a person,
/// hundreds a harvester. A site key's bucket bounds what one tenant's widget costs Admin, from every address together.
/// </summary>
public sealed class VisitorTokenBuckets
{
    /// <summary>Per client address: 20 at once, then one every 3 s.</summary>
    public TokenBucket PerIp { get; set; } = new() { TokenLimit = 20, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(3) };

    /// <summary>Per site key, from every address together; a tenant's live <c>gateway.rate_limits.visitor_tokens</c> replaces it.</summary>
    public TokenBucket PerSiteKey { get; set; } = new() { TokenLimit = 2_000, TokensPerPeriod = 200 };
}

/// <summary>
/// An address or network (<c>127.0.0.0/8</c>, <c>::1</c>) and the per-address bucket its addresses get (its <c>Enabled</c> is
/// not read); optionally its own socket cap and visitor-token bucket per address, in place of the defaults.
/// </summary>
public sealed class AddressAllowance : TokenBucket
{
    public string Network { get; set; } = "";

    /// <summary>WebSockets each address of the network may hold at once; null: <c>Limits:MaxSocketsPerIp</c>.</summary>
    public int? MaxSockets { get; set; }

    /// <summary>Visitor tokens per address of the network; null: <c>RateLimits:VisitorTokens:PerIp</c>.</summary>
    public TokenBucket? VisitorTokens { get; set; }

    public bool TryGetNetwork(out IPNetwork network)
    {
        if (IPNetwork.TryParse(Network, out network)) return true;
        if (!IPAddress.TryParse(Network, out var address)) return false;
        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}

/// <summary>A burst of <see cref="TokenLimit"/> requests, refilled by <see cref="TokensPerPeriod"/> every <see cref="ReplenishmentPeriod"/>.</summary>
public class TokenBucket
{
    /// <summary>Load tests from one address switch the per-IP bucket off (RateLimits__PerIp__Enabled=false).</summary>
    public bool Enabled { get; set; } = true;
    public int TokenLimit { get; set; }
    public int TokensPerPeriod { get; set; }
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}
