using System.Text.Json;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Scenarios;
using HdrHistogram;

namespace CustomerService.ChatLoad.Workers;

/// <summary>
/// What one worker process measured, written to <c>worker-N.json</c> in the run's <c>workers/</c> folder at its end
/// (its audit goes beside it, <c>audit-N.json</c>): per phase what its customers sent and had acked, its errors, the
/// tickets it dropped, and the latency its agents measured (as histogram buckets, so that the coordinator merges
/// data, never percentiles); the same per scenario; its per-second timeline, steps and socket figures.
/// </summary>
public sealed record WorkerResult(int Worker, long[] Sent, long[] Acked, long[] Errors, long[] Dropped, HistogramData[] Latency,
    long[] ScenarioSent, long[] ScenarioAcked, long[] ScenarioErrors, HistogramData[] ScenarioLatency,
    long SetupErrors, long Assignments, long ContextReady, SocketFigures Sockets, TimelineData Timeline, IReadOnlyList<StepData> Steps,
    string[] BotConversations)
{
    /// <summary>The worker's errors by the code of their error frame.</summary>
    public IReadOnlyDictionary<string, long> ErrorCodes { get; init; } = new Dictionary<string, long>();

    public static readonly JsonSerializerOptions Json = new();

    public static string ResultFile(string directory, int worker) => Path.Combine(directory, $"worker-{worker}.json");
    public static string AuditFile(string directory, int worker) => Path.Combine(directory, $"audit-{worker}.json");

    public void Write(string directory, DeliveryAudit audit)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(ResultFile(directory, Worker), JsonSerializer.Serialize(this, Json));
        using var stream = File.Create(AuditFile(directory, Worker));
        JsonSerializer.Serialize(stream, audit.Export(), Json);
    }

    public static WorkerResult Read(string directory, int worker) =>
        JsonSerializer.Deserialize<WorkerResult>(File.ReadAllText(ResultFile(directory, worker)), Json)
        ?? throw new InvalidDataException($"{ResultFile(directory, worker)} is empty");

    public static IReadOnlyList<AuditConversation> ReadAudit(string directory, int worker)
    {
        using var stream = File.OpenRead(AuditFile(directory, worker));
        return JsonSerializer.Deserialize<List<AuditConversation>>(stream, Json) ?? throw new InvalidDataException($"{AuditFile(directory, worker)} is empty");
    }
}

/// <summary>
/// The coordinator's one report from its workers' results: counts summed, latency histograms (per phase, per
/// scenario, per step, per second) merged bucket by bucket and the percentiles read from the merged data, the
/// audit joined across the workers (<see cref="DeliveryAudit.Join"/>), the CPU of every process including every
/// worker's, and the coordinator's own phase times, marks and drills.
/// </summary>
public static class WorkerMerge
{
    /// <param name="samples">The CPU samples the coordinator took: at the first phase's start, then at the end of each phase.</param>
    /// <param name="phaseTimes">Each phase's length as the coordinator's clock measured it.</param>
    public static LoadReport Report(LoadOptions options, IReadOnlyList<WorkerResult> results, AuditResult audit, IReadOnlyList<TimeSpan> phaseTimes,
        IReadOnlyList<IReadOnlyDictionary<string, PlatformProcesses.Usage>> samples, IReadOnlyList<RunMark> marks, DateTime startedAt)
    {
        var profile = options.Profile;
        int phaseCount = profile.Phases.Count;
        long Sum(Func<WorkerResult, long> of) => results.Sum(of);
        var acked = Enumerable.Range(0, phaseCount).Select(p => Sum(r => r.Acked[p])).ToArray();
        var phases = new List<PhaseResult>();
        for (int p = 0; p < phaseCount; p++)
        {
            var latency = new LongHistogram(TimeStamp.Seconds(120), 3);
            foreach (var r in results) r.Latency[p].AddTo(latency);
            var usage = samples.Count > p + 1 ? ProcessShare.Between(samples[p], samples[p + 1], phaseTimes[p], acked[p]) : [];
            phases.Add(new PhaseResult(profile.Phases[p], phaseTimes[p], Sum(r => r.Sent[p]), acked[p], Sum(r => r.Errors[p]), Sum(r => r.Dropped[p]), latency, usage));
        }
        var total = TimeSpan.FromTicks(phaseTimes.Sum(t => t.Ticks));
        var runUsage = samples.Count > 1 ? ProcessShare.Between(samples[0], samples[^1], total, acked.Sum()) : [];

        var timeline = new Timeline((int)Math.Ceiling(profile.Duration.TotalSeconds) + 1);
        foreach (var r in results) timeline.Add(r.Timeline);
        var stats = new JourneyStats();
        foreach (var r in results) stats.Add(r.Steps);

        var mix = ScenarioMix.Of(profile.Scenarios);
        var journeys = ScenarioMix.Assign(mix, profile.Customers);
        var scenarios = mix.Select(entry =>
        {
            int k = (int)entry.Name;
            if (!entry.IsCustomerJourney) return new ScenarioResult(entry.KindName, 1, 0, 0, 0, null, stats.Steps(entry.Name));
            var latency = new LongHistogram(TimeStamp.Seconds(120), 3);
            foreach (var r in results) r.ScenarioLatency[k].AddTo(latency);
            return new ScenarioResult(entry.KindName, journeys.Count(j => j == entry.Name), Sum(r => r.ScenarioSent[k]), Sum(r => r.ScenarioAcked[k]),
                Sum(r => r.ScenarioErrors[k]), latency, stats.Steps(entry.Name));
        }).ToList();

        // The most sockets open at once: each worker's peak, summed (at most a little above the true peak of the sum).
        var sockets = new SocketFigures(Sum(r => r.Sockets.Peak), Sum(r => r.Sockets.Refused429), Sum(r => r.Sockets.RateLimited),
            Sum(r => r.Sockets.Reconnects), Sum(r => r.Sockets.Resent), Sum(r => r.Sockets.GapResumes), Sum(r => r.Sockets.HelloRetries));
        return new LoadReport(options, phases, total, Sum(r => r.SetupErrors), Sum(r => r.Assignments), Sum(r => r.ContextReady), audit, runUsage,
            timeline.Figures(timeline.Seconds), marks.OrderBy(m => m.AtSeconds).ToList(), sockets, startedAt, scenarios)
        {
            ErrorCodes = new SortedDictionary<string, long>(results.SelectMany(r => r.ErrorCodes).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value)),
                StringComparer.Ordinal),
        };
    }
}
