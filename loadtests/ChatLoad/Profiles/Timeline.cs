using System.Numerics;

namespace CustomerService.ChatLoad.Profiles;

/// <summary>
/// Per-second figures of a run (sent, acked, errors, latency percentiles), recorded from any thread without locks:
/// latency in log-linear buckets (8 per power of two, so a percentile is within 12.5% of the value).
/// </summary>
public sealed class Timeline(int seconds)
{
    private const int SubBuckets = 8, Buckets = 30 * SubBuckets;
    private readonly long[] _sent = new long[seconds], _acked = new long[seconds], _errors = new long[seconds];
    private readonly int[] _latency = new int[seconds * Buckets];

    public int Seconds => seconds;

    private static int Second(double elapsed, int length) => elapsed < 0 ? -1 : (int)elapsed is var s && s < length ? s : -1;

    public void Sent(double elapsed) { if (Second(elapsed, seconds) is var s and >= 0) Interlocked.Increment(ref _sent[s]); }
    public void Acked(double elapsed) { if (Second(elapsed, seconds) is var s and >= 0) Interlocked.Increment(ref _acked[s]); }
    public void Error(double elapsed) { if (Second(elapsed, seconds) is var s and >= 0) Interlocked.Increment(ref _errors[s]); }

    /// <summary>A latency observed at <paramref name="elapsed"/> seconds into the run.</summary>
    public void Latency(double elapsed, double microseconds)
    {
        if (Second(elapsed, seconds) is not (var s and >= 0)) return;
        Interlocked.Increment(ref _latency[s * Buckets + Bucket(microseconds)]);
    }

    internal static int Bucket(double microseconds)
    {
        ulong v = (ulong)Math.Max(1, Math.Min(microseconds, 1e12));
        int exp = BitOperations.Log2(v);
        int sub = exp >= 3 ? (int)((v >> (exp - 3)) & (SubBuckets - 1)) : (int)(v << (3 - exp)) & (SubBuckets - 1);
        return Math.Min(Buckets - 1, exp * SubBuckets + sub);
    }

    /// <summary>The upper bound of a bucket, in microseconds.</summary>
    internal static double UpperBound(int bucket)
    {
        int exp = bucket / SubBuckets, sub = bucket % SubBuckets;
        return Math.Pow(2, exp) * (1 + (sub + 1) / (double)SubBuckets);
    }

    public TimelineData Export()
    {
        var latency = new List<long[]>();
        for (int i = 0; i < _latency.Length; i++) if (Volatile.Read(ref _latency[i]) is var n and not 0) latency.Add([i, n]);
        return new TimelineData(_sent.ToArray(), _acked.ToArray(), _errors.ToArray(), latency.ToArray());
    }

    /// <summary>Adds another timeline of the same run (a worker's) second by second, bucket by bucket: percentiles of the sum, not averaged.</summary>
    public void Add(TimelineData other)
    {
        for (int s = 0; s < Math.Min(seconds, other.Sent.Length); s++)
        {
            Interlocked.Add(ref _sent[s], other.Sent[s]);
            Interlocked.Add(ref _acked[s], other.Acked[s]);
            Interlocked.Add(ref _errors[s], other.Errors[s]);
        }
        foreach (var pair in other.Latency)
            if (pair[0] >= 0 && pair[0] < _latency.Length) Interlocked.Add(ref _latency[pair[0]], (int)pair[1]);
    }

    /// <summary>The figures of seconds <paramref name="from"/> up to (not including) <paramref name="upTo"/>.</summary>
    public IReadOnlyList<SecondFigures> Figures(int upTo, int from = 0)
    {
        var list = new List<SecondFigures>();
        for (int s = Math.Max(0, from); s < Math.Min(upTo, seconds); s++)
        {
            long count = 0;
            for (int b = 0; b < Buckets; b++) count += _latency[s * Buckets + b];
            list.Add(new SecondFigures(s, _sent[s], _acked[s], _errors[s], count,
                Percentile(s, count, 0.50) / 1000, Percentile(s, count, 0.99) / 1000));
        }
        return list;
    }

    private double Percentile(int second, long count, double q)
    {
        if (count == 0) return double.NaN;
        long rank = (long)Math.Ceiling(q * count), seen = 0;
        for (int b = 0; b < Buckets; b++)
        {
            seen += _latency[second * Buckets + b];
            if (seen >= rank) return UpperBound(b);
        }
        return UpperBound(Buckets - 1);
    }
}

/// <summary>A timeline's raw counts (a worker's, for its coordinator to add up): latency buckets as (index, count) where not 0.</summary>
public sealed record TimelineData(long[] Sent, long[] Acked, long[] Errors, long[][] Latency);

public sealed record SecondFigures(int Second, long Sent, long Acked, long Errors, long Delivered, double P50Ms, double P99Ms);
