using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using CustomerService.Contracts;
using CustomerService.Gateway.RateLimiting;
using CustomerService.LiveConfig;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Limits;

/// <summary>
/// Caps on the WebSockets one client address and one tenant hold at once through this gateway process: per address
/// <c>Limits:MaxSocketsPerIp</c> (an allowance's <c>MaxSockets</c> for its network), per tenant
/// <c>Limits:MaxSocketsPerTenant</c> (the tenant's live <c>gateway.max_sockets</c>). Past a cap a new socket gets 429
/// with Retry-After and a problem naming the cap; the sockets already held keep going, and a socket frees its place
/// when its request ends, however it ends (closed, aborted, refused further in).
/// </summary>
public sealed partial class SocketQuotas
{
    private readonly HeldSockets<IPAddress> _byAddress = new(EqualityComparer<IPAddress>.Default);
    private readonly HeldSockets<string> _byTenant = new(StringComparer.Ordinal);
    private readonly RequestLimits _limits;
    private readonly RateLimitOptions _rateLimits;
    private readonly ILiveConfig _live;
    private readonly ILogger<SocketQuotas> _logger;
    private readonly Counter<long> _refused;
    private long _lastRefusalLog;

    public SocketQuotas(IOptions<RequestLimits> limits, IOptions<RateLimitOptions> rateLimits, ILiveConfig live, IMeterFactory meters,
        ILogger<SocketQuotas> logger)
    {
        _limits = limits.Value;
        _rateLimits = rateLimits.Value;
        _live = live;
        _logger = logger;
        _refused = meters.Create("CustomerService.Gateway").CreateCounter<long>("gateway.sockets.over_cap", "{socket}",
            "New WebSockets refused with 429 past a cap (tag cap: sockets-per-ip or sockets-per-tenant)");
    }

    public TimeSpan RetryAfter => _limits.SocketRetryAfter;

    /// <summary>The sockets <paramref name="address"/> may hold: its allowance's, or the default.</summary>
    public int CapFor(IPAddress address) => _rateLimits.AllowanceFor(address)?.MaxSockets ?? _limits.MaxSocketsPerIp;

    /// <summary>The sockets <paramref name="tenant"/> may hold: its live document's, or the default.</summary>
    public int CapFor(string tenant) => _live.Current.Get<GatewaySettings>(tenant).MaxSockets ?? _limits.MaxSocketsPerTenant;

    public int HeldBy(IPAddress address) => _byAddress.Held(Normal(address));
    public int HeldBy(string tenant) => _byTenant.Held(tenant);

    /// <summary>A place for one more socket from <paramref name="address"/>, or null past its cap.</summary>
    public HeldSockets<IPAddress>.Place? TryHold(IPAddress address, out int cap)
    {
        address = Normal(address);
        cap = CapFor(address);
        return Refused(_byAddress.TryHold(address, cap), "sockets-per-ip");
    }

    /// <summary>A place for one more socket of <paramref name="tenant"/>, or null past its cap.</summary>
    public HeldSockets<string>.Place? TryHold(string tenant, out int cap)
    {
        cap = CapFor(tenant);
        return Refused(_byTenant.TryHold(tenant, cap), "sockets-per-tenant");
    }

    private T? Refused<T>(T? place, string cap) where T : class
    {
        if (place is not null) return place;
        _refused.Add(1, new KeyValuePair<string, object?>("cap", cap));
        // One line a second at most: a refusal storm must not become a logging storm.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefusalLog);
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last)
            LogRefused(cap);
        return null;
    }

    private static IPAddress Normal(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    internal Task RefuseAsync(HttpContext context, string cap, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many sockets",
            $"{detail}; the sockets already open keep going, and one closed frees a place: try again in {seconds} s.", cap).AsTask();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "New WebSockets are refused with 429 past a cap ({Cap})")]
    private partial void LogRefused(string cap);
}

/// <summary>
/// How many sockets each key (an address, a tenant) holds; a key's entry lives only while it holds one, so an
/// address that comes and goes leaves nothing behind. Lock-free: an entry that falls to zero is retired (-1) before it
/// is removed, and whoever finds it retired takes a fresh one.
/// </summary>
public sealed class HeldSockets<TKey>(IEqualityComparer<TKey> comparer) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Place> _held = new(comparer);

    /// <summary>One key's count; the socket that took a place gives it back with <see cref="Release"/>.</summary>
    public sealed class Place(HeldSockets<TKey> owner, TKey key)
    {
        internal int Count;

        public void Release()
        {
            if (Interlocked.Decrement(ref Count) == 0 && Interlocked.CompareExchange(ref Count, -1, 0) == 0)
                owner._held.TryRemove(new KeyValuePair<TKey, Place>(key, this));
        }
    }

    public Place? TryHold(TKey key, int cap)
    {
        while (true)
        {
            var place = _held.GetOrAdd(key, static (k, owner) => new Place(owner, k), this);
            var held = Volatile.Read(ref place.Count);
            if (held < 0)
            {
                _held.TryRemove(new KeyValuePair<TKey, Place>(key, place));
                continue;
            }
            if (held >= cap) return null;
            if (Interlocked.CompareExchange(ref place.Count, held + 1, held) == held) return place;
        }
    }

    public int Held(TKey key) => _held.TryGetValue(key, out var place) ? Math.Max(0, Volatile.Read(ref place.Count)) : 0;
}

/// <summary>Before authentication: a refusal past the address's cap costs no token check.</summary>
internal sealed class SocketsPerAddressMiddleware(RequestDelegate next, SocketQuotas quotas)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!SocketCapacityMiddleware.IsWebSocketRequest(context) || context.Connection.RemoteIpAddress is not { } address)
        {
            await next(context);
            return;
        }
        if (quotas.TryHold(address, out var cap) is not { } place)
        {
            await quotas.RefuseAsync(context, "sockets-per-ip",
                $"This address holds its maximum of {cap} sockets through this gateway (Limits:MaxSocketsPerIp, or its network's allowance)");
            return;
        }
        try { await next(context); }
        finally { place.Release(); }
    }
}

/// <summary>After authentication, which names the tenant; a socket without a token passes on to its 401.</summary>
internal sealed class SocketsPerTenantMiddleware(RequestDelegate next, SocketQuotas quotas)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!SocketCapacityMiddleware.IsWebSocketRequest(context) || context.User.FindFirst(PlatformClaims.Tenant)?.Value is not { } tenant)
        {
            await next(context);
            return;
        }
        if (quotas.TryHold(tenant, out var cap) is not { } place)
        {
            await quotas.RefuseAsync(context, "sockets-per-tenant",
                $"Tenant '{tenant}' holds its maximum of {cap} sockets through this gateway (its gateway.max_sockets, or Limits:MaxSocketsPerTenant)");
            return;
        }
        try { await next(context); }
        finally { place.Release(); }
    }
}

public static class SocketQuotaExtensions
{
    public static IHostApplicationBuilder AddSocketQuotas(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SocketQuotas>();
        return builder;
    }

    public static IApplicationBuilder UseSocketsPerAddress(this IApplicationBuilder app) => app.UseMiddleware<SocketsPerAddressMiddleware>();

    public static IApplicationBuilder UseSocketsPerTenant(this IApplicationBuilder app) => app.UseMiddleware<SocketsPerTenantMiddleware>();
}
