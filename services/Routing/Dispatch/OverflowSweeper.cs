using Microsoft.Extensions.Options;

namespace CustomerService.Routing.Dispatch;

/// <summary>
/// Moves conversations that waited too long to their overflow group. Every replica sweeps; the script moves each
/// conversation once. No reply carries these moves: callers see them through GetQueuePosition (a new position, or
/// 0 once assigned, when Enqueue again returns the assignment), as Session's queue watcher does.
/// </summary>
public sealed class OverflowSweeper(Dispatcher dispatcher, IOptionsMonitor<RoutingOptions> options, TimeProvider time,
    ILogger<OverflowSweeper> logger) : BackgroundService
{
    private const int Batch = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CurrentValue.OverflowSweepEvery, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.OverflowSweepFailed(logger, ex);
            }
        }
    }

    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        foreach (var tenant in await dispatcher.TenantsWithOverflowAsync(cancellationToken))
        {
            IReadOnlyList<Contracts.RoutingDecision> moved;
            do
            {
                moved = await dispatcher.OverflowAsync(tenant, Batch, cancellationToken);
                foreach (var decision in moved)
                    Log.Overflowed(logger, tenant, decision.ConversationId, decision.SkillGroup, decision.AgentId, decision.QueuePosition);
            } while (moved.Count == Batch);
        }
    }
}
