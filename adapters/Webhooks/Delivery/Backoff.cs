namespace CustomerService.Webhooks.Delivery;

/// <summary>Pause after the <c>n</c>-th failed attempt: min(BaseDelay · 2^(n-1), MaxDelay), scaled by 1 ± Jitter.</summary>
public static class Backoff
{
    public static TimeSpan After(int failedAttempts, WebhookOptions options, double random)
    {
        double exponent = Math.Min(Math.Max(failedAttempts - 1, 0), 30);
        double delay = Math.Min(options.BaseDelay.TotalMilliseconds * Math.Pow(2, exponent), options.MaxDelay.TotalMilliseconds);
        double factor = 1 + options.Jitter * (2 * random - 1);
        return TimeSpan.FromMilliseconds(delay * factor);
    }
}
