namespace CustomerService.ChatLoad.Drills;

/// <summary>
/// The drills against a real platform of this checkout (its processes found in /proc), each measuring its
/// recovery: until the part drilled answers again and acked messages resume (<paramref name="acked"/>, the run's
/// count of acks, must grow after it answers), within <see cref="RecoveryLimit"/>, else the drill failed.
/// </summary>
/// <param name="repoRoot">The checkout: only processes run from it are drilled (another checkout's platform is left alone).</param>
/// <param name="acked">Customer messages acked so far in the run.</param>
/// <param name="tenant">The run's tenant, for the CRM adapter's probe.</param>
/// <param name="redisPassword">The password the platform's Redis asks for (generated beside its signing key), or null.</param>
public sealed class PlatformDrills(string repoRoot, Func<double> elapsed, Func<long> acked, string tenant, TextWriter? log = null,
    string? redisPassword = null) : IDrillPlayer
{
    public static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(60);
    private readonly TextWriter _log = log ?? Console.Error;

    /// <summary>Where relaunched processes write their output (git-ignored).</summary>
    public string LogDirectory => Path.Combine(repoRoot, ".data", "drills");

    public Task<DrillOutcome> PlayAsync(Drill drill, CancellationToken ct) => drill.Kind switch
    {
        DrillKind.KillService => new ServiceKill(this, drill.Target!, TimeSpan.FromSeconds(drill.DownSeconds ?? 0)).PlayAsync(ct),
        DrillKind.RestartNats => new ServerRestart(this, ServerRestart.Nats, drill.DownSeconds ?? Drill.DefaultDownSeconds).PlayAsync(ct),
        DrillKind.RestartRedis => new ServerRestart(this, ServerRestart.Redis, drill.DownSeconds ?? Drill.DefaultDownSeconds).PlayAsync(ct),
        DrillKind.CrmSlow or DrillKind.CrmDown => new CrmFault(this, drill).PlayAsync(ct),
        _ => Task.FromResult(DrillOutcome.Fail($"no player for {drill.KindName}")),
    };

    public string RepoRoot => repoRoot;
    internal string? RedisPassword => redisPassword;
    internal string Tenant => tenant;
    internal double Elapsed => elapsed();
    internal long Acked => acked();

    internal void Log(string line) => _log.WriteLine($"drill at {elapsed():F1} s: {line}");

    /// <summary>
    /// Seconds from now until <paramref name="answers"/> holds and then acks resume (the count grows after it
    /// first held), or null when that did not happen within <see cref="RecoveryLimit"/>. <paramref name="what"/>
    /// says which of the two was still missing at the limit.
    /// </summary>
    internal async Task<(double? Seconds, string Missing)> RecoveryAsync(Func<CancellationToken, Task<bool>> answers, CancellationToken ct)
    {
        var start = elapsed();
        long? ackedWhenAnswering = null;
        while (elapsed() - start < RecoveryLimit.TotalSeconds)
        {
            if (ackedWhenAnswering is null)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                try { if (await answers(attempt.Token)) ackedWhenAnswering = acked(); }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested) { }
            }
            else if (acked() > ackedWhenAnswering) return (elapsed() - start, "");
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
        return (null, ackedWhenAnswering is null ? "it never answered" : "it answered, but no message was acked after that");
    }
}
