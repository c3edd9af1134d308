using CustomerService.Contracts;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;

namespace CustomerService.Routing.Dispatch;

/// <summary>
/// Moves conversations that waited too long to their overflow group. Every replica sweeps; the script makes each
/// move once, and the replica that made it announces it on NATS (no RPC reply carries it), de-duplicated by id.
/// </summary>
public sealed class OverflowSweeper(Dispatcher dispatcher, INatsJSContext jetStream, IOptionsMonitor<RoutingOptions> options,
    TimeProvider time, ILogger<OverflowSweeper> logger) : BackgroundService
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
            IReadOnlyList<RoutingDecision> moved;
            do
            {
                moved = await dispatcher.OverflowAsync(tenant, Batch, cancellationToken);
                foreach (var decision in moved)
                {
                    Log.Overflowed(logger, tenant, decision.ConversationId, decision.SkillGroup, decision.AgentId, decision.QueuePosition);
                    await AnnounceAsync(tenant, decision, cancellationToken);
                }
            } while (moved.Count == Batch);
        }
    }

    private async Task AnnounceAsync(string tenant, RoutingDecision decision, CancellationToken cancellationToken)
    {
        var evt = new ConversationEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            TenantId = tenant,
            ConversationId = decision.ConversationId,
            OccurredAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        string kind;
        if (decision.Assigned)
        {
            kind = "assigned";
            evt.State = ConversationState.Assigned;
            evt.Assigned = new AgentAssigned { AgentId = decision.AgentId, SkillGroup = decision.SkillGroup };
        }
        else
        {
            kind = "queued";
            evt.State = ConversationState.Queued;
            evt.Queued = new ConversationQueued { SkillGroup = decision.SkillGroup, Position = decision.QueuePosition };
        }
        // A conversation overflows at most once, so this id names the move.
        var ack = await jetStream.PublishAsync(Subjects.ConversationEvent(tenant, decision.ConversationId, kind), evt.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = $"routing-overflow:{tenant}:{decision.ConversationId}" },
            cancellationToken: cancellationToken);
        ack.EnsureSuccess();
    }
}
