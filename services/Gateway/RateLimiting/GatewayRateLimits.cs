using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using CustomerService.Contracts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.RateLimiting;

public static class GatewayRateLimits
{
    /// <summary>One chained limiter for every request: per client IP, then per token subject; 429 with Retry-After.</summary>
    public static IHostApplicationBuilder AddGatewayRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => Valid(o.PerIp) && Valid(o.PerSubject), "RateLimits: TokenLimit and TokensPerPeriod must be positive, ReplenishmentPeriod too.")
            .ValidateOnStart();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, limits) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(PerIp(limits.Value.PerIp), PerSubject(limits.Value.PerSubject));
        });
        return builder;
    }

    private static bool Valid(TokenBucket bucket) =>
        !bucket.Enabled || (bucket.TokenLimit > 0 && bucket.TokensPerPeriod > 0 && bucket.ReplenishmentPeriod > TimeSpan.Zero);

    private static PartitionedRateLimiter<HttpContext> PerIp(TokenBucket bucket)
    {
        if (!bucket.Enabled) return PartitionedRateLimiter.Create<HttpContext, int>(_ => RateLimitPartition.GetNoLimiter(0));
        var options = Options(bucket);
        // One factory for every partition, so choosing a partition allocates nothing per request.
        Func<IPAddress, TokenBucketRateLimiterOptions> factory = _ => options;
        return PartitionedRateLimiter.Create<HttpContext, IPAddress>(http => http.Connection.RemoteIpAddress is { } ip
            ? RateLimitPartition.GetTokenBucketLimiter(ip, factory)
            : RateLimitPartition.GetNoLimiter(IPAddress.None));
    }

    private static PartitionedRateLimiter<HttpContext> PerSubject(TokenBucket bucket)
    {
        if (!bucket.Enabled) return PartitionedRateLimiter.Create<HttpContext, int>(_ => RateLimitPartition.GetNoLimiter(0));
        var options = Options(bucket);
        Func<(string, string), TokenBucketRateLimiterOptions> factory = _ => options;
        return PartitionedRateLimiter.Create<HttpContext, (string Tenant, string Subject)>(http =>
            http.User.FindFirst(PlatformClaims.Subject)?.Value is { } subject
                ? RateLimitPartition.GetTokenBucketLimiter((http.User.FindFirst(PlatformClaims.Tenant)?.Value ?? "", subject), factory)
                : RateLimitPartition.GetNoLimiter(("", "")));
    }

    private static TokenBucketRateLimiterOptions Options(TokenBucket bucket) => new()
    {
        TokenLimit = bucket.TokenLimit,
        TokensPerPeriod = bucket.TokensPerPeriod,
        ReplenishmentPeriod = bucket.ReplenishmentPeriod,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
            $"Slow down: try again in {seconds} s.");
    }
}
