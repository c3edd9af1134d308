using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace CustomerService.ChatLoad.Scenarios;

/// <summary>
/// Per scenario and step (<c>bot-handoff/bot-answer</c>, <c>supervisor/search</c>, ...): how often the step was
/// played, how often it failed, and the latency of those that succeeded (Stopwatch ticks, like the phases'
/// histograms). Recorded from any thread; the steps of a scenario are reported in the order they were first seen.
/// </summary>
public sealed class JourneyStats
{
    private readonly ConcurrentDictionary<(ScenarioKind, string), Step> _steps = new();
    private long _order;

    private sealed class Step(long order)
    {
        public readonly long Order = order;
        public readonly LongHistogram Latency = new(TimeStamp.Seconds(120), 3);
        public long Count, Errors;
    }

    private Step For(ScenarioKind scenario, string step) =>
        _steps.GetOrAdd((scenario, step), _ => new Step(Interlocked.Increment(ref _order)));

    /// <summary>A step done in the time since <paramref name="startTimestamp"/> (Stopwatch).</summary>
    public void Done(ScenarioKind scenario, string step, long startTimestamp) =>
        Record(scenario, step, Stopwatch.GetTimestamp() - startTimestamp);

    public void Record(ScenarioKind scenario, string step, long ticks)
    {
        var s = For(scenario, step);
        Interlocked.Increment(ref s.Count);
        lock (s.Latency) s.Latency.RecordValue(Math.Clamp(ticks, 0, s.Latency.HighestTrackableValue));
    }

    /// <summary>A step that failed (an error answer, a timeout): counted, no latency.</summary>
    public void Failed(ScenarioKind scenario, string step)
    {
        var s = For(scenario, step);
        Interlocked.Increment(ref s.Count);
        Interlocked.Increment(ref s.Errors);
    }

    /// <summary>Steps seen but neither done nor failed yet still appear (a step that never happened shows as 0).</summary>
    public void Expect(ScenarioKind scenario, string step) => For(scenario, step);

    /// <summary>Every step of every scenario, in the order first seen (a worker's, for its coordinator to <see cref="Add"/>).</summary>
    public IReadOnlyList<StepData> Export() => _steps.OrderBy(kv => kv.Value.Order).Select(kv =>
    {
        lock (kv.Value.Latency)
            return new StepData(kv.Key.Item1, kv.Key.Item2, Interlocked.Read(ref kv.Value.Count), Interlocked.Read(ref kv.Value.Errors),
                HistogramData.Of(kv.Value.Latency));
    }).ToList();

    /// <summary>Adds another process's steps: counts summed, latencies merged as histograms.</summary>
    public void Add(IEnumerable<StepData> steps)
    {
        foreach (var step in steps)
        {
            var s = For(step.Scenario, step.Name);
            Interlocked.Add(ref s.Count, step.Count);
            Interlocked.Add(ref s.Errors, step.Errors);
            lock (s.Latency) step.Latency.AddTo(s.Latency);
        }
    }

    public IReadOnlyList<StepResult> Steps(ScenarioKind scenario) => _steps
        .Where(kv => kv.Key.Item1 == scenario)
        .OrderBy(kv => kv.Value.Order)
        .Select(kv =>
        {
            var copy = new LongHistogram(TimeStamp.Seconds(120), 3);
            lock (kv.Value.Latency) copy.Add(kv.Value.Latency);
            return new StepResult(kv.Key.Item2, Interlocked.Read(ref kv.Value.Count), Interlocked.Read(ref kv.Value.Errors), copy);
        })
        .ToList();
}

/// <summary>A step's figures as a worker writes them.</summary>
public sealed record StepData(ScenarioKind Scenario, string Name, long Count, long Errors, HistogramData Latency);

/// <summary>
/// An HdrHistogram's recorded values as (value, count) pairs, one per bucket: recorded again into a histogram of the
/// same layout, each lands in its own bucket, so merging these is merging the histograms (percentiles of the
/// merged data, never an average of percentiles).
/// </summary>
public sealed record HistogramData(long[][] Counts)
{
    public static HistogramData Of(HistogramBase histogram) =>
        new(histogram.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAtValueIteratedTo }).ToArray());

    public void AddTo(HistogramBase histogram)
    {
        foreach (var pair in Counts) histogram.RecordValueWithCount(Math.Min(pair[0], histogram.HighestTrackableValue), pair[1]);
    }

    public LongHistogram ToHistogram()
    {
        var h = new LongHistogram(TimeStamp.Seconds(120), 3);
        AddTo(h);
        return h;
    }
}

/// <summary>One step of a scenario: times played, errors among them, latency (Stopwatch ticks) of the successful ones.</summary>
public sealed record StepResult(string Name, long Count, long Errors, LongHistogram Latency)
{
    public double Ms(double percentile) => Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// One scenario of a run: how many played it (customers, or 1 for a staff scenario), what its customers sent and had
/// acked, their errors, the customer→agent latency of their messages, and its steps.
/// </summary>
public sealed record ScenarioResult(string Name, int Users, long Sent, long Acked, long Errors, LongHistogram? Latency, IReadOnlyList<StepResult> Steps)
{
    public double Ms(double percentile) => Latency is not { TotalCount: > 0 } h ? double.NaN : h.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
}
