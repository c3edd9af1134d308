namespace CustomerService.Gateway.RateLimiting;

/// <summary>Request limits (configuration section <c>RateLimits</c>); WebSocket frames are not requests and do not count.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Per client IP address, before anything else is known about the caller.</summary>
    public TokenBucket PerIp { get; set; } = new() { TokenLimit = 400, TokensPerPeriod = 200 };

    /// <summary>Per token subject (tenant and sub): one agent or visitor cannot crowd out the others.</summary>
    public TokenBucket PerSubject { get; set; } = new() { TokenLimit = 100, TokensPerPeriod = 50 };
}

/// <summary>A burst of <see cref="TokenLimit"/> requests, refilled by <see cref="TokensPerPeriod"/> every <see cref="ReplenishmentPeriod"/>.</summary>
public sealed class TokenBucket
{
    /// <summary>Load tests from one address switch the per-IP bucket off (RateLimits__PerIp__Enabled=false).</summary>
    public bool Enabled { get; set; } = true;
    public int TokenLimit { get; set; }
    public int TokensPerPeriod { get; set; }
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}
