using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerService.Session.Messaging;

/// <summary>
/// Whether this replica's <see cref="DeliveryListener"/> has its NATS subscriptions (the server answered a ping after
/// them). Until then a message published to a conversation reaches none of this replica's sockets live, so sockets
/// are refused (503, the client comes back) and /health says so: after a Session kill under load the replica took
/// sockets seconds before it listened, and a customer's resend published then never reached its agent
/// (docs/performance.md, "Session 13").
/// </summary>
public sealed class DeliveryReadiness : IHealthCheck
{
    private int _subscribed;

    /// <summary>How many subscriptions the listener makes (messages, events, signals, agents' signals).</summary>
    public const int Subscriptions = 4;

    public bool Ready => Volatile.Read(ref _subscribed) >= Subscriptions;

    public void Subscribed() => Interlocked.Increment(ref _subscribed);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Ready
            ? HealthCheckResult.Healthy("listening to deliveries")
            : HealthCheckResult.Unhealthy($"not yet listening to deliveries ({Volatile.Read(ref _subscribed)} of {Subscriptions} subscriptions)"));
}
