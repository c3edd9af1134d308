using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Limits;

/// <summary>Size limits at the edge (configuration section <c>Limits</c>).</summary>
public sealed class RequestLimits
{
    public const string Section = "Limits";

    /// <summary>Larger request bodies get 413 before they reach a service.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Larger header blocks get 431.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// A hard ceiling on one WebSocket frame from a client; the connection is cut when a frame announces more.
    /// Keep it well above the Session service's own message limit, which answers oversized messages with an error
    /// frame and keeps the socket.
    /// </summary>
    public long MaxWebSocketFrameBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// WebSockets this process holds at most; past it new ones get 503 (<see cref="SocketCapacity"/>). Unset: half of
    /// the open-file limit after a reserve (two descriptors per proxied socket), 9,500 where a process may hold 20,000.
    /// </summary>
    public int? MaxSockets { get; set; }

    /// <summary>
    /// WebSockets one client address holds at once through this process (a shop's NAT puts its staff and visitors
    /// behind one address); past it new ones get 429 (<see cref="SocketQuotas"/>). An allowance's MaxSockets replaces it
    /// for its network (RateLimits:Allowances).
    /// </summary>
    public int MaxSocketsPerIp { get; set; } = 200;

    /// <summary>
    /// WebSockets one tenant's tokens hold at once through this process, so that one tenant cannot take the capacity
    /// every tenant shares; the tenant's live <c>gateway.max_sockets</c> replaces it.
    /// </summary>
    public int MaxSocketsPerTenant { get; set; } = 5_000;

    /// <summary>The Retry-After of a socket refused at capacity or past a cap.</summary>
    public TimeSpan SocketRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    public static IHostApplicationBuilder AddRequestLimits(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestLimits>().BindConfiguration(Section)
            .Validate(l => l.MaxRequestBodyBytes > 0 && l.MaxRequestHeadersTotalBytes > 0 && l.MaxRequestHeaderCount > 0 && l.MaxWebSocketFrameBytes > 125
                     && l.MaxSockets is null or > 0 && l.MaxSocketsPerIp > 0 && l.MaxSocketsPerTenant > 0 && l.SocketRetryAfter > TimeSpan.Zero,
                "Limits must be positive (and a WebSocket frame limit above 125 bytes, the size of control frames).")
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimits>>((kestrel, limits) =>
        {
            kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.Value.MaxRequestHeadersTotalBytes;
            kestrel.Limits.MaxRequestHeaderCount = limits.Value.MaxRequestHeaderCount;
        });
        return builder;
    }
}
