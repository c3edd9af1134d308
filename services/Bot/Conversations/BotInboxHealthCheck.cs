using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CustomerService.Bot.Conversations;

/// <summary>Ready once this replica takes its share of the bot inbox.</summary>
internal sealed class BotInboxHealthCheck(BotInboxWorker worker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(worker.Subscribed.IsCompletedSuccessfully
            ? HealthCheckResult.Healthy("subscribed to the bot inbox")
            : HealthCheckResult.Unhealthy("not yet subscribed to the bot inbox"));
}
