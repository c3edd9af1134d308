using CustomerService.Contracts;
using Grpc.Net.Client;

namespace CustomerService.ChatLoad.Drills;

/// <summary>
/// The CRM legacy system slow (every answer <c>delayMs</c> late) or down (503) for <c>seconds</c>, through the CRM
/// simulator's local-only fault endpoint (<c>POST /__fault</c>, adapters/Crm/simulator/crm.php). Chats must go on
/// meanwhile (the adapter's breaker opens and the customer context comes from its cache or says "unavailable"):
/// a fault during which no message was acked fails the drill. Recovery is measured from the end of the fault until
/// the CRM adapter answers a profile it cannot have cached live again (its breaker closed), within the limit.
/// </summary>
public sealed class CrmFault(PlatformDrills platform, Drill drill)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The simulator's address: <c>php -S 127.0.0.1:PORT adapters/Crm/simulator/crm.php</c> run from the checkout.</summary>
    public static Uri? SimulatorAddress(string repoRoot)
    {
        var sims = ProcessImage.Find((_, args, cwd) => Path.GetFileName(args[0]) == "php" && args.Any(a => a.EndsWith("Crm/simulator/crm.php", StringComparison.Ordinal))
                                                        && ProcessImage.IsUnder(cwd, repoRoot));
        var args = sims.FirstOrDefault()?.Args;
        return args is not null && Array.IndexOf(args, "-S") is var i and >= 0 && i + 1 < args.Length ? new Uri($"http://{args[i + 1]}") : null;
    }

    /// <summary>Asks the simulator for a fault: a delay, or a status such as 503, for <paramref name="seconds"/>.</summary>
    public static async Task SetFaultAsync(Uri simulator, int delayMs, int status, double seconds, CancellationToken ct)
    {
        var query = FormattableString.Invariant($"/__fault?delayMs={delayMs}&status={status}&seconds={seconds}");
        using var answer = await Http.PostAsync(new Uri(simulator, query), null, ct);
        answer.EnsureSuccessStatusCode();
    }

    public async Task<DrillOutcome> PlayAsync(CancellationToken ct)
    {
        if (SimulatorAddress(platform.RepoRoot) is not { } simulator) return DrillOutcome.Fail($"no CRM simulator runs from {platform.RepoRoot}");
        var adapter = ServiceKill.Find(platform.RepoRoot, "crm").Select(i => i.Environment.GetValueOrDefault("GRPC_PORT")).FirstOrDefault(p => p is not null);
        if (adapter is null) return DrillOutcome.Fail("no CRM adapter (with a GRPC_PORT) runs from the checkout");

        var seconds = drill.Seconds!.Value;
        await SetFaultAsync(simulator, drill.DelayMs ?? 0, drill.Kind == DrillKind.CrmDown ? 503 : 200, seconds, ct);
        platform.Log($"{drill.Label} from now");
        long ackedBefore = platform.Acked;
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        long ackedDuring = platform.Acked - ackedBefore;
        if (ackedDuring == 0) return DrillOutcome.Fail("no message acked while the CRM was faulty: chats stopped");

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{adapter}");
        var client = new CustomerProfiles.CustomerProfilesClient(channel);
        var (recovery, missing) = await platform.RecoveryAsync(async t =>
        {
            // A customer never asked for before: only a live answer from the CRM can give it.
            var probe = await client.GetProfileAsync(new GetProfileRequest { TenantId = platform.Tenant, CustomerId = $"drill-probe-{Guid.NewGuid():N}" },
                deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: t);
            return probe.Availability == Availability.Live;
        }, ct);
        return recovery is { } r
            ? new DrillOutcome(r, $"recovered: the CRM adapter answered live {r:F1} s after the fault ended; {ackedDuring} messages acked during the fault")
            : DrillOutcome.Fail($"the CRM adapter did not answer live within {PlatformDrills.RecoveryLimit.TotalSeconds:F0} s of the fault's end ({missing})");
    }
}
