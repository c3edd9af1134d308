using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Limits;

/// <summary>
/// How many WebSockets this gateway process holds at most (configuration <c>Limits:MaxSockets</c>). The edge spends
/// two file descriptors per proxied socket (the client's and the one to Session) and a process may hold only so
/// many: past the capacity a new socket gets 503 with Retry-After, before any work is spent on it, and every socket
/// already held keeps going. Without a setting the capacity follows the process's open-file limit.
/// </summary>
public sealed partial class SocketCapacity
{
    /// <summary>Descriptors kept for everything else a gateway holds: HTTP keep-alive, Redis, NATS, logs, telemetry.</summary>
    public const int ReservedDescriptors = 1_000;

    private readonly ILogger<SocketCapacity> _logger;
    private readonly Counter<long> _refused;
    private long _held, _lastRefusalLog;

    public SocketCapacity(IOptions<RequestLimits> limits, IMeterFactory meters, ILogger<SocketCapacity> logger)
    {
        _logger = logger;
        Capacity = limits.Value.MaxSockets ?? FromOpenFileLimit(OpenFileLimit());
        RetryAfter = limits.Value.SocketRetryAfter;
        var meter = meters.Create("CustomerService.Gateway");
        meter.CreateObservableGauge("gateway.sockets.held", () => Held, "{socket}", "WebSockets the gateway holds now");
        meter.CreateObservableGauge("gateway.sockets.capacity", () => Capacity, "{socket}", "WebSockets the gateway holds at most");
        _refused = meter.CreateCounter<long>("gateway.sockets.refused", "{socket}", "New WebSockets refused with 503 at capacity");
    }

    public int Capacity { get; }
    public TimeSpan RetryAfter { get; }
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Two descriptors per socket, after the reserve; never below 100 sockets.</summary>
    public static int FromOpenFileLimit(long openFiles) => (int)Math.Clamp((openFiles - ReservedDescriptors) / 2, 100, int.MaxValue);

    /// <summary>The soft RLIMIT_NOFILE of this process (Linux /proc), or a conventional 1,024 where it cannot be read.</summary>
    public static long OpenFileLimit()
    {
        try
        {
            if (OperatingSystem.IsLinux())
                foreach (var line in File.ReadLines("/proc/self/limits"))
                    if (line.StartsWith("Max open files", StringComparison.Ordinal))
                    {
                        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                        return soft == "unlimited" ? int.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
                    }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return 1024;
    }

    /// <summary>Takes a place for a new socket, or says there is none (the caller answers 503).</summary>
    public bool TryHold()
    {
        if (Interlocked.Increment(ref _held) <= Capacity) return true;
        Interlocked.Decrement(ref _held);
        _refused.Add(1);
        // One line a second at most: a refusal storm must not become a logging storm.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefusalLog);
        if (now - last >= 1000 && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last)
            LogRefused(Capacity);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _held);

    [LoggerMessage(Level = LogLevel.Warning, Message = "At capacity ({Capacity} sockets): new WebSockets are refused with 503")]
    private partial void LogRefused(int capacity);
}

/// <summary>
/// Counts the WebSockets in flight through the gateway (a proxied upgrade ends only when its socket closes) and
/// refuses new ones at capacity. It runs before authentication: a refusal costs no token validation.
/// </summary>
internal sealed class SocketCapacityMiddleware(RequestDelegate next, SocketCapacity capacity)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsWebSocketRequest(context))
        {
            await next(context);
            return;
        }
        if (!capacity.TryHold())
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(capacity.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "At capacity",
                $"This gateway holds its maximum of {capacity.Capacity} sockets; try again in {capacity.RetryAfter.TotalSeconds:F0} s.");
            return;
        }
        try { await next(context); }
        finally { capacity.Release(); }
    }

    internal static bool IsWebSocketRequest(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
        || context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true, Protocol: var p }
        && string.Equals(p, "websocket", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Degraded (still 200) when the gateway is at its socket capacity: an operator or a balancer sees why sockets are refused.</summary>
internal sealed class SocketCapacityHealthCheck(SocketCapacity capacity) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["held"] = capacity.Held, ["capacity"] = capacity.Capacity };
        return Task.FromResult(capacity.Held >= capacity.Capacity
            ? HealthCheckResult.Degraded($"at capacity: {capacity.Held} of {capacity.Capacity} sockets; new sockets get 503", data: data)
            : HealthCheckResult.Healthy($"{capacity.Held} of {capacity.Capacity} sockets", data));
    }
}

public static class SocketCapacityExtensions
{
    public static IHostApplicationBuilder AddSocketCapacity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SocketCapacity>();
        builder.Services.AddHealthChecks().AddCheck<SocketCapacityHealthCheck>("sockets", tags: ["ready"]);
        return builder;
    }

    public static IApplicationBuilder UseSocketCapacity(this IApplicationBuilder app) => app.UseMiddleware<SocketCapacityMiddleware>();
}
