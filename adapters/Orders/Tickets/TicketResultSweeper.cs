using Microsoft.Extensions.Options;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// Publishes the results that could not be published when their answer came (NATS down, or a crash in between).
/// Only results resolved a while ago are taken, so it does not race the consumer publishing a fresh one.
/// </summary>
public sealed partial class TicketResultSweeper(
    TicketStore store, TicketResultPublisher results, IOptions<TicketOptions> options, TimeProvider time, ILogger<TicketResultSweeper> logger)
    : BackgroundService
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ResultSweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    foreach (var ticket in await store.UnpublishedResultsAsync(Grace, 100, stoppingToken))
                        await results.PublishAsync(ticket, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogSweepFailed(e.GetType().Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unpublished ticket results wait for the next sweep: {Error}: {Reason}")]
    private partial void LogSweepFailed(string error, string reason);
}
