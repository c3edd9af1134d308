using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerService.LiveConfig;

/// <summary>
/// Degraded (not unhealthy) while Admin is unreachable: the service keeps working with the last configuration,
/// or with defaults before the first snapshot, and operators see why changes do not arrive.
/// </summary>
internal sealed class LiveConfigHealthCheck(ConfigWatcher watcher) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = watcher.Current;
        return Task.FromResult(
            !snapshot.IsLoaded ? HealthCheckResult.Degraded("no configuration from Admin yet: running on defaults")
            : !watcher.IsConnected ? HealthCheckResult.Degraded($"Admin unreachable: keeping configuration version {snapshot.Version}")
            : HealthCheckResult.Healthy($"configuration version {snapshot.Version}"));
    }
}
