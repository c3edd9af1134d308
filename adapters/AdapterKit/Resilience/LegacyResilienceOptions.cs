using Microsoft.Extensions.Options;

namespace CustomerService.AdapterKit.Resilience;

/// <summary>The resilience pipeline around one legacy system (configuration section, e.g. "Crm:Resilience").</summary>
public sealed class LegacyResilienceOptions
{
    /// <summary>One try at the legacy system.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>All tries together, retries and their delays included; a caller's earlier deadline shortens it.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>Retries after a transient failure (reads only: they are idempotent). 0 turns retrying off.</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>First retry delay; exponential with jitter after it.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The circuit opens when at least this share of calls in <see cref="SamplingDuration"/> failed ...</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>... and at least this many calls were made in it.</summary>
    public int MinimumThroughput { get; set; } = 5;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the circuit stays open before one call probes the legacy system again.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The fallback's own budget (a cache read): kept back from the caller's deadline.</summary>
    public TimeSpan FallbackTimeout { get; set; } = TimeSpan.FromMilliseconds(200);
}

internal sealed class LegacyResilienceOptionsValidator : IValidateOptions<LegacyResilienceOptions>
{
    // Polly's own bounds: timeouts from 10 ms, breaker durations from 500 ms, at least 2 calls sampled.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MinBreakerDuration = TimeSpan.FromMilliseconds(500);

    public ValidateOptionsResult Validate(string? name, LegacyResilienceOptions o)
    {
        var errors = new List<string>();
        if (o.AttemptTimeout < MinTimeout) errors.Add($"AttemptTimeout must be at least {MinTimeout.TotalMilliseconds} ms");
        if (o.TotalTimeout < o.AttemptTimeout) errors.Add("TotalTimeout must be at least AttemptTimeout");
        if (o.MaxRetryAttempts is < 0 or > 10) errors.Add("MaxRetryAttempts must be between 0 and 10");
        if (o.RetryBaseDelay < TimeSpan.Zero) errors.Add("RetryBaseDelay cannot be negative");
        if (o.FailureRatio is <= 0 or > 1) errors.Add("FailureRatio must be in (0, 1]");
        if (o.MinimumThroughput < 2) errors.Add("MinimumThroughput must be at least 2");
        if (o.SamplingDuration < MinBreakerDuration) errors.Add($"SamplingDuration must be at least {MinBreakerDuration.TotalMilliseconds} ms");
        if (o.BreakDuration < MinBreakerDuration) errors.Add($"BreakDuration must be at least {MinBreakerDuration.TotalMilliseconds} ms");
        if (o.FallbackTimeout < TimeSpan.FromMilliseconds(1)) errors.Add("FallbackTimeout must be positive");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"legacy system '{name}': {e}"));
    }
}
