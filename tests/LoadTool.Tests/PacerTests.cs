using CustomerService.ChatLoad.Profiles;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.LoadTool.Tests;

/// <summary>
/// The pacer on a fake clock that the test moves on a few milliseconds at a time, so what is asserted is the pacer's
/// arithmetic and not how late this busy machine's timers fire.
/// </summary>
public sealed class PacerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(4);

    private static LoadProfile Profile(int customers, int window, params Phase[] phases) =>
        new() { Name = "t", Customers = customers, Agents = 1, Window = window, Phases = phases };

    /// <summary>
    /// Plays the pacer to its end on <paramref name="time"/>, moving the clock one step at a time and giving the
    /// pacer's and the customers' continuations a moment of real time to run between steps.
    /// </summary>
    private static async Task PlayAsync(Pacer pacer, FakeTimeProvider time, Func<CancellationToken, Task>? customers = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var playing = pacer.RunAsync(cts.Token);
        var taking = customers?.Invoke(cts.Token) ?? Task.CompletedTask;
        // Customers may still wait on the clock (a poll, a think time) when the last phase ends: keep it moving.
        while (!playing.IsCompleted || !taking.IsCompleted)
        {
            time.Advance(Step);
            await Task.Delay(1);
        }
        await playing;
        await taking;
    }

    /// <summary>Takes every ticket as soon as it is due (windows never full) and counts them per phase.</summary>
    private static async Task<(long[] Turns, Pacer Pacer)> DrainAsync(LoadProfile profile, int takers)
    {
        var time = new FakeTimeProvider();
        var pacer = new Pacer(profile, time: time);
        var turns = new long[profile.Phases.Count];
        await PlayAsync(pacer, time, ct => Task.WhenAll(Enumerable.Range(0, takers).Select(async c =>
        {
            while (await pacer.NextAsync(c, ct) is { } turn) Interlocked.Increment(ref turns[turn.Phase]);
        })));
        return (turns, pacer);
    }

    [Fact]
    public async Task An_open_phase_hands_out_its_rate_times_its_length()
    {
        var (turns, pacer) = await DrainAsync(Profile(10, 4,
            new Phase { Name = "a", Model = LoadModel.Inject, Rate = 400, Seconds = 1.5 },
            new Phase { Name = "b", Model = LoadModel.RampInject, From = 0, To = 800, Seconds = 1 }), takers: 10);
        // Every ticket is accounted for: taken, or dropped when the phase ended before a customer took it.
        Assert.InRange(turns[0] + pacer.Dropped(0), 599, 601);   // 400/s × 1.5 s
        Assert.InRange(turns[1] + pacer.Dropped(1), 398, 402);   // the ramp's mean, 400/s, × 1 s
        Assert.Equal(0, pacer.Dropped(0) + pacer.Dropped(1));    // ten takers with room keep up with 800/s
    }

    [Fact]
    public async Task Tickets_carry_evenly_spread_intended_times()
    {
        var time = new FakeTimeProvider();
        var pacer = new Pacer(Profile(1, 1, new Phase { Name = "a", Model = LoadModel.Inject, Rate = 200, Seconds = 1 }), time: time);
        var times = new List<long>();
        await PlayAsync(pacer, time, async ct =>
        {
            while (await pacer.NextAsync(0, ct) is { } turn) times.Add(turn.Intended);
        });
        Assert.InRange(times.Count, 199, 200);
        var gaps = times.Zip(times.Skip(1), (a, b) => (b - a) * 1000.0 / pacer.TimestampFrequency).ToList();
        Assert.InRange(gaps.Average(), 4.9, 5.1);               // 200/s: one every 5 ms
        Assert.True(gaps.All(g => g >= 0), "intended times never go back");
        Assert.True(times.All(t => t >= pacer.StartTimestamp), "no ticket is due before the start");
    }

    [Fact]
    public async Task A_full_queue_drops_tickets_and_counts_them()
    {
        // Nobody takes tickets: the queue (at least 1,024) fills, the rest is dropped as it falls due, and what the
        // queue holds when the phase ends is dropped too: every ticket counted, none sent late in a burst.
        var time = new FakeTimeProvider();
        var pacer = new Pacer(Profile(1, 1, new Phase { Name = "a", Model = LoadModel.Inject, Rate = 3000, Seconds = 0.6 }), time: time);
        await PlayAsync(pacer, time);
        Assert.Equal(1024, pacer.Issued(0));
        Assert.InRange(pacer.Dropped(0), 1799, 1801);   // 3,000/s × 0.6 s, all of it
    }

    [Fact]
    public async Task A_closed_phase_lets_only_its_busy_customers_send()
    {
        var profile = Profile(6, 1,
            new Phase { Name = "two", Model = LoadModel.KeepConstant, Customers = 2, ThinkMs = 100, Seconds = 1 },
            new Phase { Name = "quiet", Model = LoadModel.Pause, Seconds = 0.3 });
        var time = new FakeTimeProvider();
        var pacer = new Pacer(profile, time: time);
        var perCustomer = new long[6];
        await PlayAsync(pacer, time, ct => Task.WhenAll(Enumerable.Range(0, 6).Select(async c =>
        {
            while (await pacer.NextAsync(c, ct) is { } turn)
            {
                Assert.Equal(0, turn.Phase);
                Interlocked.Increment(ref perCustomer[c]);
            }
        })));
        // Think 100 ms over 1 s: at most 10 turns each; a customer that wakes a step late loses a step, not a turn.
        Assert.All(perCustomer.Take(2), n => Assert.InRange(n, 7, 10));
        Assert.All(perCustomer.Skip(2), n => Assert.Equal(0, n));
    }

    [Fact]
    public void Ramp_constant_and_random_inject_follow_their_bounds()
    {
        var ramp = new Phase { Name = "r", Model = LoadModel.RampConstant, From = 10, To = 110, Seconds = 10 };
        Assert.Equal(10, ramp.BusyCustomersAt(0));
        Assert.Equal(60, ramp.BusyCustomersAt(5));
        Assert.Equal(110, ramp.BusyCustomersAt(20));
        var random = new Phase { Name = "x", Model = LoadModel.RandomInject, Min = 100, Max = 200, Seconds = 10 };
        double rate = 0;
        int second = -1;
        var rng = new Random(7);
        var rates = Enumerable.Range(0, 100).Select(i => random.RateAt(i / 10.0, rng, ref rate, ref second)).ToList();
        Assert.All(rates, r => Assert.InRange(r, 100, 200));
        Assert.Equal(10, rates.Distinct().Count());   // a new rate each second, the same within it
    }

    [Fact]
    public void Timeline_percentiles_are_within_an_eighth()
    {
        var timeline = new Timeline(2);
        for (int i = 1; i <= 1000; i++) timeline.Latency(0.5, i * 1000);   // 1..1000 ms in second 0
        var second = timeline.Figures(2)[0];
        Assert.Equal(1000, second.Delivered);
        Assert.InRange(second.P50Ms, 500, 500 * 1.125);
        Assert.InRange(second.P99Ms, 990, 990 * 1.125);
        Assert.True(double.IsNaN(timeline.Figures(2)[1].P99Ms));
    }
}
