using Microsoft.Extensions.Options;

namespace CustomerService.Webhooks;

/// <summary>How webhooks are consumed, sent and retried (configuration section "Webhooks"; docs/webhooks.md).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>The durable JetStream consumer on each of CONVERSATION_EVENTS and CHAT_MESSAGES, shared by every replica.</summary>
    public string ConsumerName { get; set; } = "webhooks";

    /// <summary>Webhooks a tenant may register.</summary>
    public int MaxWebhooksPerTenant { get; set; } = 20;

    /// <summary>Refuse http:// URLs (https only).</summary>
    public bool RequireHttps { get; set; }

    /// <summary>How often each replica reloads the registrations (its own changes apply at once).</summary>
    public TimeSpan SubscriptionRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>One POST: connect, send, and the receiver's status line.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause before the second attempt; doubled for each further one up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Each pause is scaled by a random factor in [1 - Jitter, 1 + Jitter].</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>Attempts (the first one included) before a delivery is dead.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>How often the dispatcher looks for due deliveries when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries claimed at once.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>POSTs in flight at once per replica.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>
    /// Lets webhooks reach loopback, private, link-local and other non-public addresses. Off in production: a tenant
    /// admin could otherwise make the service call internal systems (SSRF). Local runs and tests only.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Non-public ranges (CIDR, e.g. 127.0.0.1/32) webhooks may reach all the same: a narrower opening than <see cref="AllowPrivateNetworks"/>.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>How long the previous secret keeps signing after a rotation (POST .../secret without overlap_seconds).</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The circuit breaker each webhook's URL gets (Polly): when it opens, deliveries wait instead of spending attempts.</summary>
    public BreakerOptions Breaker { get; set; } = new();

    /// <summary>How long a claimed delivery is kept from other replicas: longer than any attempt.</summary>
    internal TimeSpan Lease => Timeout + TimeSpan.FromSeconds(30);
}

/// <summary>Opens when at least <see cref="FailureRatio"/> of at least <see cref="MinimumThroughput"/> attempts in <see cref="SamplingDuration"/> failed; stays open <see cref="BreakDuration"/>, then lets one attempt through (half-open).</summary>
public sealed class BreakerOptions
{
    public double FailureRatio { get; set; } = 0.9;
    public int MinimumThroughput { get; set; } = 5;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ConsumerName) || o.ConsumerName.IndexOfAny(['.', '*', '>', ' ']) >= 0)
            errors.Add("Webhooks:ConsumerName must be a JetStream consumer name (no '.', '*', '>' or spaces)");
        if (o.MaxWebhooksPerTenant is < 1 or > 1000) errors.Add("Webhooks:MaxWebhooksPerTenant must be 1..1000");
        if (o.SubscriptionRefresh < TimeSpan.FromMilliseconds(50)) errors.Add("Webhooks:SubscriptionRefresh must be at least 50 ms");
        if (o.Timeout < TimeSpan.FromMilliseconds(100)) errors.Add("Webhooks:Timeout must be at least 100 ms");
        if (o.BaseDelay < TimeSpan.FromMilliseconds(1)) errors.Add("Webhooks:BaseDelay must be positive");
        if (o.MaxDelay < o.BaseDelay) errors.Add("Webhooks:MaxDelay must be at least BaseDelay");
        if (o.Jitter is < 0 or >= 1) errors.Add("Webhooks:Jitter must be in [0, 1)");
        if (o.MaxAttempts is < 1 or > 100) errors.Add("Webhooks:MaxAttempts must be 1..100");
        if (o.PollInterval < TimeSpan.FromMilliseconds(10)) errors.Add("Webhooks:PollInterval must be at least 10 ms");
        if (o.BatchSize is < 1 or > 1000) errors.Add("Webhooks:BatchSize must be 1..1000");
        if (o.MaxConcurrency is < 1 or > 256) errors.Add("Webhooks:MaxConcurrency must be 1..256");
        for (var i = 0; i < o.AllowedNetworks.Count; i++)
            if (!System.Net.IPNetwork.TryParse(o.AllowedNetworks[i]?.Trim(), out _))
                errors.Add($"Webhooks:AllowedNetworks:{i} '{o.AllowedNetworks[i]}' is not a CIDR range (e.g. 127.0.0.1/32)");
        if (o.SecretOverlap < TimeSpan.Zero || o.SecretOverlap > TimeSpan.FromDays(7)) errors.Add("Webhooks:SecretOverlap must be 0..7 days");
        if (o.Breaker.FailureRatio is <= 0 or > 1) errors.Add("Webhooks:Breaker:FailureRatio must be in (0, 1]");
        if (o.Breaker.MinimumThroughput < 2) errors.Add("Webhooks:Breaker:MinimumThroughput must be at least 2");
        if (o.Breaker.SamplingDuration < TimeSpan.FromMilliseconds(500)) errors.Add("Webhooks:Breaker:SamplingDuration must be at least 500 ms");
        if (o.Breaker.BreakDuration < TimeSpan.FromMilliseconds(500)) errors.Add("Webhooks:Breaker:BreakDuration must be at least 500 ms");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
