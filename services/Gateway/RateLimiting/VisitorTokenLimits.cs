using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using CustomerService.Gateway.Tenants;
using CustomerService.LiveConfig;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.RateLimiting;

/// <summary>
/// Visitor sign-ins (<c>POST /api/auth/visitor</c>) take a token from two buckets before Admin does any work: the
/// client address's (<c>RateLimits:VisitorTokens:PerIp</c>, or its network allowance's <c>VisitorTokens</c>) and the site
/// key's (<c>RateLimits:VisitorTokens:PerSiteKey</c>, or the live <c>gateway.rate_limits.visitor_tokens</c> of the tenant
/// the key belongs to, once this gateway has seen Admin name that tenant for it). Past either: 429 with Retry-After
/// and a problem naming the bucket. The general per-IP request bucket applies as well.
/// </summary>
public sealed class VisitorTokenLimits : IAsyncDisposable
{
    /// <summary>A visitor sign-in is a few hundred bytes; a site key is not looked for in a longer body.</summary>
    public const int MaxBodyRead = 8 * 1024;
    private const int MaxSiteKeyLength = 200;
    private const int MaxKnownSiteKeys = 100_000;

    private readonly ILiveConfig _live;
    private readonly PartitionedRateLimiter<IPAddress> _perIp;
    private readonly PartitionedRateLimiter<string> _perSiteKey;
    // Site key → tenant, from Admin's answers to sign-ins this gateway passed: the tenant's own limit applies from then on.
    private readonly ConcurrentDictionary<string, string> _tenants = new(StringComparer.Ordinal);

    public VisitorTokenLimits(IOptions<RateLimitOptions> options, ILiveConfig live)
    {
        _live = live;
        var limits = options.Value;
        var buckets = limits.Allowances.Where(a => a.VisitorTokens is not null).Select(a => a.VisitorTokens!)
            .Append(limits.VisitorTokens.PerIp).Distinct().ToDictionary(b => b, b => GatewayRateLimits.Options(b));
        _perIp = PartitionedRateLimiter.Create<IPAddress, IPAddress>(ip =>
        {
            var bucket = limits.AllowanceFor(ip)?.VisitorTokens ?? limits.VisitorTokens.PerIp;
            // One key for every unlimited address: partitions without a limiter are never dropped.
            return bucket.Enabled ? RateLimitPartition.GetTokenBucketLimiter(ip, _ => buckets[bucket]) : RateLimitPartition.GetNoLimiter(IPAddress.None);
        });
        var perSiteKey = limits.VisitorTokens.PerSiteKey.Enabled ? GatewayRateLimits.Options(limits.VisitorTokens.PerSiteKey) : null;
        // The options object is part of the key: a tenant whose limit changed gets a fresh bucket at once.
        Func<(string, TokenBucketRateLimiterOptions?), TokenBucketRateLimiterOptions> factory = key => key.Item2!;
        _perSiteKey = PartitionedRateLimiter.Create<string, (string SiteKey, TokenBucketRateLimiterOptions? Options)>(siteKey =>
        {
            var own = _tenants.TryGetValue(siteKey, out var tenant)
                && _live.Current.Get<GatewaySettings>(tenant).RateLimits.VisitorTokens is { } limit ? GatewayRateLimits.Options(limit) : perSiteKey;
            return own is null
                ? RateLimitPartition.GetNoLimiter<(string, TokenBucketRateLimiterOptions?)>(("", null))
                : RateLimitPartition.GetTokenBucketLimiter<(string, TokenBucketRateLimiterOptions?)>((siteKey, own), factory);
        });
    }

    /// <summary>Takes a token for <paramref name="address"/>; null when granted, else how long until the next.</summary>
    public TimeSpan? TryTake(IPAddress address) =>
        Refusal(_perIp.AttemptAcquire(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));

    /// <summary>Takes a token for <paramref name="siteKey"/> (the empty string stands for every unreadable one).</summary>
    public TimeSpan? TryTake(string siteKey) => Refusal(_perSiteKey.AttemptAcquire(siteKey));

    private static TimeSpan? Refusal(RateLimitLease lease)
    {
        using (lease)
            return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
    }

    /// <summary>Admin said which tenant <paramref name="siteKey"/> belongs to.</summary>
    public void Learn(string siteKey, string tenant)
    {
        if (_tenants.Count < MaxKnownSiteKeys || _tenants.ContainsKey(siteKey)) _tenants[siteKey] = tenant;
    }

    /// <summary>
    /// The <c>siteKey</c> of a sign-in body (matched case-insensitively, the last one winning, as Admin's JSON binding
    /// reads it), or null when the body is not a JSON object with a short string there.
    /// </summary>
    public static string? SiteKeyOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            string? siteKey = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSiteKey = string.Equals(reader.GetString(), "siteKey", StringComparison.OrdinalIgnoreCase);
                if (!reader.Read()) return null;
                if (isSiteKey) siteKey = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                else if (!reader.TrySkip()) return null;
            }
            return siteKey is { Length: > 0 and <= MaxSiteKeyLength } ? siteKey : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync()
    {
        _perIp.Dispose();
        _perSiteKey.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Runs before the tenant policy, which reads the tenant from Admin's answer and hands it back here.</summary>
internal sealed class VisitorTokenLimitsMiddleware(RequestDelegate next, VisitorTokenLimits limits)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !TenantPolicyMiddleware.IsPath(context.Request.Path, TenantPolicyMiddleware.VisitorPath))
        {
            await next(context);
            return;
        }
        if (context.Connection.RemoteIpAddress is { } address && limits.TryTake(address) is { } wait)
        {
            await RefuseAsync(context, wait, "visitor-tokens-per-ip",
                "This address asked for more visitor tokens than it may (RateLimits:VisitorTokens:PerIp, or its network's allowance)");
            return;
        }
        var siteKey = await SiteKeyAsync(context.Request) ?? "";
        if (limits.TryTake(siteKey) is { } siteWait)
        {
            await RefuseAsync(context, siteWait, "visitor-tokens-per-site-key",
                "This site's visitors asked for more tokens than it allows (the tenant's gateway.rate_limits.visitor_tokens, or RateLimits:VisitorTokens:PerSiteKey)");
            return;
        }
        await next(context);
        if (siteKey.Length > 0 && TenantPolicyMiddleware.SignedInTenant(context) is { } tenant) limits.Learn(siteKey, tenant);
    }

    /// <summary>Reads the start of the body for its site key and rewinds it for the proxy.</summary>
    private static async Task<string?> SiteKeyAsync(HttpRequest request)
    {
        request.EnableBuffering();
        var buffer = ArrayPool<byte>.Shared.Rent(VisitorTokenLimits.MaxBodyRead + 1);
        try
        {
            var read = await request.Body.ReadAtLeastAsync(buffer.AsMemory(0, VisitorTokenLimits.MaxBodyRead + 1),
                VisitorTokenLimits.MaxBodyRead + 1, throwOnEndOfStream: false, request.HttpContext.RequestAborted);
            request.Body.Position = 0;
            return read <= VisitorTokenLimits.MaxBodyRead ? VisitorTokenLimits.SiteKeyOf(buffer.AsSpan(0, read)) : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task RefuseAsync(HttpContext context, TimeSpan wait, string limit, string why)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many visitor sign-ins",
            $"{why}: try again in {seconds} s.", limit);
    }
}

public static class VisitorTokenLimitsExtensions
{
    public static IHostApplicationBuilder AddVisitorTokenLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<VisitorTokenLimits>();
        return builder;
    }

    public static IApplicationBuilder UseVisitorTokenLimits(this IApplicationBuilder app) => app.UseMiddleware<VisitorTokenLimitsMiddleware>();
}
