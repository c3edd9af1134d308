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
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Each result on its own: one that cannot be published does not hold back the others.</summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        List<Ticket> unpublished;
        try
        {
            unpublished = await store.UnpublishedResultsAsync(Grace, 100, stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogSweepFailed(0, e.GetType().Name, e.Message);
            return;
        }
        int failed = 0;
        Exception? first = null;
        foreach (var ticket in unpublished)
        {
            try
            {
                await results.PublishAsync(ticket, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failed++;
                first ??= e;
            }
        }
        if (first is not null) LogSweepFailed(failed, first.GetType().Name, first.Message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} unpublished ticket results wait for the next sweep: {Error}: {Reason}")]
    private partial void LogSweepFailed(int count, string error, string reason);
}
