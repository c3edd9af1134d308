using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.RateLimiting;

public static class GatewayRateLimits
{
    /// <summary>
    /// One chained limiter for every request: per client IP, then per token subject, then per tenant; 429 with
    /// Retry-After. The tenant's live <c>gateway.rate_limits</c> replace the per-subject default and add the per-tenant
    /// bucket; a changed document makes new buckets (keyed by the document's limits), the old ones idle out.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => Valid(o.PerIp) && Valid(o.PerSubject), "RateLimits: TokenLimit and TokensPerPeriod must be positive, ReplenishmentPeriod too.")
            .Validate(o => o.Allowances.All(a => a.TryGetNetwork(out _) && a.TokenLimit > 0 && a.TokensPerPeriod > 0 && a.ReplenishmentPeriod > TimeSpan.Zero
                    && a.MaxSockets is null or > 0 && (a.VisitorTokens is null || Valid(a.VisitorTokens))),
                "RateLimits:Allowances: each needs a Network (an address or CIDR) and a positive TokenLimit, TokensPerPeriod and ReplenishmentPeriod; MaxSockets and VisitorTokens, when set, positive too.")
            .Validate(o => Valid(o.VisitorTokens.PerIp) && Valid(o.VisitorTokens.PerSiteKey),
                "RateLimits:VisitorTokens: TokenLimit and TokensPerPeriod must be positive, ReplenishmentPeriod too.")
            .ValidateOnStart();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>, ILiveConfig>((limiter, limits, live) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(PerIp(limits.Value),
                PerSubject(limits.Value.PerSubject, live), PerTenant(live));
        });
        return builder;
    }

    internal static bool Valid(TokenBucket bucket) =>
        !bucket.Enabled || (bucket.TokenLimit > 0 && bucket.TokensPerPeriod > 0 && bucket.ReplenishmentPeriod > TimeSpan.Zero);

    private static PartitionedRateLimiter<HttpContext> PerIp(RateLimitOptions limits)
    {
        var bucket = limits.PerIp;
        if (!bucket.Enabled) return PartitionedRateLimiter.Create<HttpContext, int>(_ => RateLimitPartition.GetNoLimiter(0));
        var options = Options(bucket);
        var allowed = limits.Allowances.ToDictionary(a => a, a => Options(a));
        // One factory for every partition (it runs once per new address), so choosing a partition allocates nothing
        // per request; an address in an allowance's network gets that allowance's bucket.
        Func<IPAddress, TokenBucketRateLimiterOptions> factory = ip => limits.AllowanceFor(ip) is { } own ? allowed[own] : options;
        return PartitionedRateLimiter.Create<HttpContext, IPAddress>(http => http.Connection.RemoteIpAddress is { } ip
            ? RateLimitPartition.GetTokenBucketLimiter(ip, factory)
            : RateLimitPartition.GetNoLimiter(IPAddress.None));
    }

    private static PartitionedRateLimiter<HttpContext> PerSubject(TokenBucket bucket, ILiveConfig live)
    {
        var defaults = bucket.Enabled ? Options(bucket) : null;
        // The options object is part of the key: a tenant whose limits changed gets fresh buckets at once.
        Func<(string, string, TokenBucketRateLimiterOptions?), TokenBucketRateLimiterOptions> factory = key => key.Item3!;
        return PartitionedRateLimiter.Create<HttpContext, (string Tenant, string Subject, TokenBucketRateLimiterOptions? Options)>(http =>
        {
            if (http.User.FindFirst(PlatformClaims.Subject)?.Value is not { } subject)
                return RateLimitPartition.GetNoLimiter<(string, string, TokenBucketRateLimiterOptions?)>(("", "", null));
            var tenant = http.User.FindFirst(PlatformClaims.Tenant)?.Value ?? "";
            var options = live.Current.Get<GatewaySettings>(tenant).RateLimits.PerSubject is { } own ? Options(own) : defaults;
            return options is null
                ? RateLimitPartition.GetNoLimiter<(string, string, TokenBucketRateLimiterOptions?)>(("", "", null))
                : RateLimitPartition.GetTokenBucketLimiter<(string, string, TokenBucketRateLimiterOptions?)>((tenant, subject, options), factory);
        });
    }

    private static PartitionedRateLimiter<HttpContext> PerTenant(ILiveConfig live)
    {
        Func<(string, TokenBucketRateLimiterOptions?), TokenBucketRateLimiterOptions> factory = key => key.Item2!;
        return PartitionedRateLimiter.Create<HttpContext, (string Tenant, TokenBucketRateLimiterOptions? Options)>(http =>
            http.User.FindFirst(PlatformClaims.Tenant)?.Value is { } tenant
            && live.Current.Get<GatewaySettings>(tenant).RateLimits.PerTenant is { } limit
                ? RateLimitPartition.GetTokenBucketLimiter((tenant, Options(limit)), factory)
                : RateLimitPartition.GetNoLimiter<(string, TokenBucketRateLimiterOptions?)>(("", null)));
    }

    // One options object per live limit document, so the same document finds the same buckets.
    private static readonly ConditionalWeakTable<TokenBucketLimit, TokenBucketRateLimiterOptions> LiveOptions = new();

    internal static TokenBucketRateLimiterOptions Options(TokenBucketLimit limit) =>
        LiveOptions.GetValue(limit, l => new TokenBucketRateLimiterOptions
        {
            TokenLimit = l.TokenLimit,
            TokensPerPeriod = l.TokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(l.PeriodSeconds),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    internal static TokenBucketRateLimiterOptions Options(TokenBucket bucket) => new()
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
