namespace CustomerService.ChatLoad.Workers;

/// <summary>
/// How a run of <c>workers</c> processes shares its population (docs/loadtests.md, "Several processes"): customer
/// <i>i</i> and agent <i>j</i> keep their index in the whole run (their ids, journeys, arrival times and closed-phase
/// rank are those of a run in one process) and are held by worker <c>i mod workers</c>. Round-robin rather than
/// blocks, so that every prefix of the customers (those a <c>keep-constant</c> phase keeps busy, the first to arrive)
/// is spread over the workers within one customer, as the scenario mix is over the prefixes. Each worker injects
/// <c>1/workers</c> of every open phase's rate.
/// </summary>
public static class WorkerSplit
{
    public static bool Holds(int index, int worker, int workers) => index % workers == worker;

    /// <summary>The indices (of the whole run's <paramref name="count"/> customers or agents) worker <paramref name="worker"/> holds.</summary>
    public static int[] Share(int count, int worker, int workers)
    {
        if (workers < 1 || worker < 0 || worker >= workers) throw new ArgumentOutOfRangeException(nameof(worker), $"worker {worker} of {workers}");
        return Enumerable.Range(0, count).Where(i => Holds(i, worker, workers)).ToArray();
    }

    /// <summary>The share of every open phase's rate each worker injects.</summary>
    public static double RateShare(int workers) => 1.0 / workers;

    /// <summary>
    /// The seed of worker <paramref name="worker"/>'s own random choices (backoff jitter, the supervisor's pick),
    /// derived from the profile's seed: the same profile and worker always get the same seed, two workers different
    /// ones (SplitMix64 of the pair). The open phases' random rate is drawn with the profile's seed itself in every
    /// worker, so that each injects its share of the same rate a run in one process would draw.
    /// </summary>
    public static int Seed(int profileSeed, int worker)
    {
        ulong z = unchecked(((ulong)(uint)profileSeed << 32 | (uint)worker) + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }
}

/// <summary>This process's place in a run of several: worker <paramref name="Index"/> of <paramref name="Count"/>.</summary>
/// <param name="RunId">The run's id, shared by every worker (agents' and visitors' ids are made from it and their index).</param>
/// <param name="Directory">Where the worker writes its results and its audit (the run's report folder, <c>workers/</c>).</param>
/// <param name="Epoch">The coordinator's start (Stopwatch timestamp: CLOCK_MONOTONIC, one clock for every process of the machine), the zero of the audit's trail.</param>
public sealed record WorkerSlice(int Index, int Count, string RunId, string Directory, long Epoch)
{
    public bool HoldsCustomer(int index) => WorkerSplit.Holds(index, Index, Count);
    public bool HoldsAgent(int index) => WorkerSplit.Holds(index, Index, Count);

    /// <summary>Worker 0 plays the staff scenarios (supervisor, admin-rule-change) once for the run.</summary>
    public bool PlaysStaff => Index == 0;
}
