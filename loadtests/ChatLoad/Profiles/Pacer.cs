using System.Threading.Channels;

namespace CustomerService.ChatLoad.Profiles;

/// <summary>
/// Plays a profile's phases in time and tells each customer when to send. Open phases put send tickets, each with
/// its intended time, into the phase's own queue at the phase's rate; any customer with room in its window takes the
/// next one, and latency is measured from the intended time, so a slow platform shows as latency (and, once every
/// window is full and the queue too, as dropped tickets), not as a lower rate (no coordinated omission). Closed
/// phases let the first N customers send whenever their window has room, after their think time. Every clock it
/// reads or waits on is its <see cref="TimeProvider"/> (the system's in a run, a fake one in tests).
/// </summary>
public sealed class Pacer
{
    /// <summary>How often an open phase hands out the tickets that came due.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan ClosedPoll = TimeSpan.FromMilliseconds(50);

    private readonly LoadProfile _profile;
    private readonly double _rateScale;
    private readonly TimeProvider _time;
    private readonly Channel<long>[] _tickets;
    private readonly long[] _dropped, _issued;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile int _phase = -1;
    private volatile int _busy;
    private long _startTimestamp;

    public Pacer(LoadProfile profile, double rateScale = 1, TimeProvider? time = null)
    {
        _profile = profile;
        _rateScale = rateScale;
        _time = time ?? TimeProvider.System;
        // Room for every window's worth of tickets, and at least a second of a thousand a second: a stall of the
        // tool itself (a GC pause, a descheduled tick) must not turn into dropped tickets at once.
        int capacity = Math.Max(1024, profile.Customers * profile.Window);
        _tickets = profile.Phases.Select(_ => Channel.CreateBounded<long>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleWriter = true,
        })).ToArray();
        _dropped = new long[profile.Phases.Count];
        _issued = new long[profile.Phases.Count];
    }

    public IReadOnlyList<Phase> Phases => _profile.Phases;

    /// <summary>The phase now playing: -1 before the start, <see cref="Phases"/>.Count once every phase is over.</summary>
    public int CurrentPhase => _phase;

    public long StartTimestamp => _startTimestamp;

    /// <summary>Ticks per second of <see cref="StartTimestamp"/> and of every intended time.</summary>
    public long TimestampFrequency => _time.TimestampFrequency;

    /// <summary>Seconds since the first phase started.</summary>
    public double Elapsed => _startTimestamp == 0 ? 0 : _time.GetElapsedTime(_startTimestamp).TotalSeconds;

    public long Dropped(int phase) => Interlocked.Read(ref _dropped[phase]);
    public long Issued(int phase) => Interlocked.Read(ref _issued[phase]);

    /// <summary>Plays every phase, one after another; returns when the last one is over.</summary>
    /// <param name="startAt">
    /// When the first phase starts (a timestamp of the pacer's clock; Stopwatch's is CLOCK_MONOTONIC, one clock for
    /// every process of the machine): the workers of a run start their phases at the time their coordinator gave
    /// them, so that phases line up. Null: now.
    /// </param>
    public async Task RunAsync(CancellationToken ct, long? startAt = null)
    {
        if (startAt is { } at && _time.GetElapsedTime(_time.GetTimestamp(), at) is var wait && wait > TimeSpan.Zero)
            await Task.Delay(wait, _time, ct);
        _startTimestamp = startAt ?? _time.GetTimestamp();
        var random = new Random(_profile.Seed);
        double phaseStart = 0;
        try
        {
            for (int i = 0; i < _profile.Phases.Count; i++)
            {
                var phase = _profile.Phases[i];
                _busy = 0;
                _phase = i;
                if (i == 0) _started.TrySetResult();
                double phaseEnd = phaseStart + phase.Seconds;
                if (phase.IsOpen) await InjectAsync(i, phase, phaseStart, phaseEnd, random, ct);
                else
                {
                    while (Elapsed < phaseEnd)
                    {
                        _busy = phase.BusyCustomersAt(Elapsed - phaseStart);
                        await Task.Delay(TimeSpan.FromSeconds(Math.Min(ClosedPoll.TotalSeconds, Math.Max(0.001, phaseEnd - Elapsed))), _time, ct);
                    }
                }
                EndPhase(i);
                phaseStart = phaseEnd;
            }
        }
        finally
        {
            _busy = 0;
            _phase = _profile.Phases.Count;
            _started.TrySetResult();
            for (int i = 0; i < _tickets.Length; i++) EndPhase(i);
        }
    }

    /// <summary>
    /// Closes a phase's queue. Tickets still in it were due in the phase and no customer had room for them in time:
    /// dropped, and counted, so that every ticket is either sent or counted.
    /// </summary>
    private void EndPhase(int index)
    {
        _tickets[index].Writer.TryComplete();
        while (_tickets[index].Reader.TryRead(out _)) Interlocked.Increment(ref _dropped[index]);
    }

    private async Task InjectAsync(int index, Phase phase, double phaseStart, double phaseEnd, Random random, CancellationToken ct)
    {
        var writer = _tickets[index].Writer;
        double due = 0, randomRate = 0;
        int randomSecond = -1;
        double last = Elapsed;
        using var timer = new PeriodicTimer(Tick, _time);
        while (last < phaseEnd)
        {
            await timer.WaitForNextTickAsync(ct);
            double now = Math.Min(Elapsed, phaseEnd);
            double mid = (last + now) / 2 - phaseStart;
            due += phase.RateAt(mid, random, ref randomRate, ref randomSecond) * _rateScale * (now - last);
            int count = (int)due;
            due -= count;
            // Spread the tickets over the tick they fell due in: intended times as a steady rate would have them.
            for (int k = 0; k < count; k++)
            {
                double at = last + (now - last) * (k + 1) / count;
                long intended = _startTimestamp + (long)(at * _time.TimestampFrequency);
                if (writer.TryWrite(intended)) Interlocked.Increment(ref _issued[index]);
                else Interlocked.Increment(ref _dropped[index]);
            }
            last = now;
        }
    }

    /// <summary>
    /// Waits for customer <paramref name="customer"/>'s next turn to send (its window already has room) and returns
    /// the phase and the intended send time, or null once every phase is over.
    /// </summary>
    public async ValueTask<(int Phase, long Intended)?> NextAsync(int customer, CancellationToken ct)
    {
        await _started.Task.WaitAsync(ct);
        while (true)
        {
            int index = _phase;
            if (index >= _profile.Phases.Count) return null;
            var phase = _profile.Phases[index];
            if (phase.IsOpen)
            {
                // ReadAsync, not WaitToReadAsync: a ticket wakes one waiting customer, not all of them.
                var reader = _tickets[index].Reader;
                try { return (index, await reader.ReadAsync(ct)); }
                catch (ChannelClosedException)
                {
                    // The phase is over (the pacer counted what its queue still held); wait for the next one to start.
                    while (_phase == index) await Task.Yield();
                    continue;
                }
            }
            if (phase.Model != LoadModel.Pause && customer < _busy)
            {
                if (phase.ThinkMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(phase.ThinkMs), _time, ct);
                if (_phase == index) return (index, _time.GetTimestamp());
                continue;
            }
            await Task.Delay(ClosedPoll, _time, ct);
        }
    }
}
