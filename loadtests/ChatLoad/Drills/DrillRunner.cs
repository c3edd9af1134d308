namespace CustomerService.ChatLoad.Drills;

/// <summary>What a drill saw: how long the platform took to serve again (null: never, within the limit) and in words.</summary>
public sealed record DrillOutcome(double? RecoverySeconds, string Outcome)
{
    /// <summary>Outcomes of failed drills start with this: the report counts them as <c>drills_failed</c>.</summary>
    public const string FailedPrefix = "failed: ";

    public bool Failed => Outcome.StartsWith(FailedPrefix, StringComparison.Ordinal);

    public static DrillOutcome Fail(string why) => new(null, FailedPrefix + why);
}

/// <summary>Plays one drill and measures its recovery (<see cref="PlatformDrills"/> against a real platform; fakes in tests).</summary>
public interface IDrillPlayer
{
    Task<DrillOutcome> PlayAsync(Drill drill, CancellationToken ct);
}

/// <summary>
/// Plays a profile's drills while the pacer plays its phases: each one when the pacer's clock (<see
/// cref="Profiles.Pacer.Elapsed"/>, seconds since the first phase started) reaches its <c>at</c>, concurrently
/// with the drills still measuring their recovery (a CRM down for a minute does not hold back a kill at its
/// middle). Every drill becomes a <see cref="RunMark"/> of kind "drill" at the moment it was played, with its
/// recovery time and outcome; a drill that throws is a failed drill, not a failed run.
/// </summary>
public sealed class DrillRunner(IReadOnlyList<Drill> drills, Func<double> elapsed, IDrillPlayer player, Action<RunMark> mark, TimeProvider? time = null)
{
    /// <summary>How often the clock is looked at while waiting for the next drill: a drill starts at most this late.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private int _failed;

    public int Failed => Volatile.Read(ref _failed);

    public async Task RunAsync(CancellationToken ct)
    {
        var playing = new List<Task>();
        foreach (var drill in drills.OrderBy(d => d.At))
        {
            while (elapsed() < drill.At)
            {
                var wait = TimeSpan.FromSeconds(Math.Max(0.001, Math.Min(Poll.TotalSeconds, drill.At - elapsed())));
                try { await Task.Delay(wait, _time, ct); }
                catch (OperationCanceledException) { await Task.WhenAll(playing); return; }
            }
            playing.Add(PlayAsync(drill, elapsed(), ct));
        }
        await Task.WhenAll(playing);
    }

    private async Task PlayAsync(Drill drill, double at, CancellationToken ct)
    {
        DrillOutcome outcome;
        try { outcome = await player.PlayAsync(drill, ct); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { outcome = DrillOutcome.Fail("the run stopped before the drill ended"); }
        catch (Exception e) { outcome = DrillOutcome.Fail($"{e.GetType().Name}: {e.Message}"); }
        if (outcome.Failed) Interlocked.Increment(ref _failed);
        mark(new RunMark(at, "drill", drill.Label, outcome.RecoverySeconds, outcome.Outcome));
    }
}
