using System.Diagnostics;
using System.Diagnostics.Metrics;
using CustomerService.AdapterKit.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Xunit;

namespace CustomerService.Adapters.Tests;

[Collection(TimingCollection.Name)]
public class LegacySystemTests
{
    private static (ServiceProvider Services, LegacySystem<string> System) Build(Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["AttemptTimeout"] = "00:00:00.200",
            ["TotalTimeout"] = "00:00:01",
            ["MaxRetryAttempts"] = "2",
            ["RetryBaseDelay"] = "00:00:00.010",
            ["MinimumThroughput"] = "4",
            ["FailureRatio"] = "0.5",
            ["SamplingDuration"] = "00:00:10",
            ["BreakDuration"] = "00:00:00.500",
            ["FallbackTimeout"] = "00:00:00.100",
        };
        foreach (var (k, v) in settings ?? []) values[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging().AddLegacySystem<string>("legacy", configuration).BuildServiceProvider();
        return (services, services.GetRequiredKeyedService<LegacySystem<string>>("legacy"));
    }

    private static ValueTask<string> Fallback(LegacyFailure failure, CancellationToken _) => ValueTask.FromResult($"fallback:{failure.Kind}");

    [Fact]
    public async Task Transient_failures_are_retried()
    {
        var (services, system) = Build();
        using var _ = services;
        int calls = 0;
        var result = await system.CallAsync(_ => ++calls < 3 ? throw new HttpRequestException("refused") : ValueTask.FromResult("live"), Fallback);
        Assert.Equal("live", result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_missing_record_passes_through_untried_and_uncounted()
    {
        var (services, system) = Build(new() { ["MinimumThroughput"] = "2" });
        using var _ = services;
        int calls = 0;
        for (int i = 0; i < 5; i++)
            await Assert.ThrowsAsync<LegacyRecordNotFoundException>(async () =>
                await system.CallAsync(_ => { calls++; throw new LegacyRecordNotFoundException("legacy", "customer x"); }, Fallback));
        Assert.Equal(5, calls);
        Assert.Equal(CircuitState.Closed, system.CircuitState);
    }

    [Fact]
    public async Task Failures_fall_back_open_the_circuit_and_a_success_closes_it()
    {
        var (services, system) = Build();
        using var _ = services;
        Assert.Equal("fallback:BadAnswer", await system.CallAsync(_ => throw new LegacySystemException("legacy", "HTTP 400", false), Fallback));
        Assert.Equal("fallback:Unreachable", await system.CallAsync(_ => throw new HttpRequestException("refused"), Fallback));
        Assert.Equal(CircuitState.Open, system.CircuitState);
        int calls = 0;
        Assert.Equal("fallback:CircuitOpen", await system.CallAsync(_ => { calls++; return ValueTask.FromResult("live"); }, Fallback));
        Assert.Equal(0, calls);

        // The break (500 ms) runs out on the pipeline's clock: waiting that time out is what the test is about. (A
        // FakeTimeProvider there would hold the pauses and timeouts of the calls before it too.)
        await Task.Delay(600);
        Assert.Equal("live", await system.CallAsync(_ => ValueTask.FromResult("live"), Fallback));
        Assert.Equal(CircuitState.Closed, system.CircuitState);
    }

    [Fact]
    public async Task A_hanging_system_is_answered_by_the_fallback_within_the_deadline()
    {
        var (services, system) = Build(new() { ["AttemptTimeout"] = "00:00:05", ["TotalTimeout"] = "00:00:10", ["FallbackTimeout"] = "00:00:00.250" });
        using var _ = services;
        static async ValueTask<string> Hang(CancellationToken token) { await Task.Delay(Timeout.Infinite, token); return "live"; }
        await system.CallAsync(Hang, Fallback, deadlineUtc: DateTime.UtcNow.AddMilliseconds(1000)); // compiles the path
        var clock = Stopwatch.StartNew();
        var result = await system.CallAsync(Hang, Fallback, deadlineUtc: DateTime.UtcNow.AddMilliseconds(1000));
        Assert.Equal("fallback:Timeout", result);
        // The live call gets the deadline less the fallback's reserve (250 ms) and the answer margin.
        Assert.InRange(clock.ElapsedMilliseconds, 700, 999);
    }

    [Fact]
    public async Task A_deadline_too_close_goes_straight_to_the_fallback()
    {
        var (services, system) = Build();
        using var _ = services;
        int calls = 0;
        var result = await system.CallAsync(_ => { calls++; return ValueTask.FromResult("live"); }, Fallback, DateTime.UtcNow.AddMilliseconds(3));
        Assert.Equal("fallback:NoTimeLeft", result);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task The_fallback_counter_and_circuit_gauge_are_on_the_platform_meter()
    {
        var (services, system) = Build();
        using var _ = services;
        var factory = services.GetRequiredService<IMeterFactory>();
        long fallbacks = 0;
        int? state = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LegacyMetrics.MeterName && instrument.Meter.Scope == factory) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { if (i.Name == LegacyMetrics.FallbacksInstrument) fallbacks += v; });
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => { if (i.Name == LegacyMetrics.CircuitStateInstrument) state = v; });
        listener.Start();

        listener.RecordObservableInstruments();
        Assert.Equal(0, state);
        await system.CallAsync(_ => throw new HttpRequestException("refused"), Fallback);
        await system.CallAsync(_ => throw new HttpRequestException("refused"), Fallback);
        listener.RecordObservableInstruments();
        Assert.Equal(2, fallbacks);
        Assert.Equal(1, state);
    }

    [Fact]
    public void Options_outside_what_Polly_accepts_fail_on_start()
    {
        var (services, _) = (new ServiceCollection().AddLogging()
            .AddLegacySystem<string>("legacy", new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["BreakDuration"] = "00:00:00.100",
                ["FailureRatio"] = "2",
            }).Build()).BuildServiceProvider(), 0);
        using var _ = services;
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredKeyedService<LegacySystem<string>>("legacy"));
        Assert.Contains("BreakDuration", error.Message);
        Assert.Contains("FailureRatio", error.Message);
    }
}
