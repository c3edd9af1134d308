using System.Diagnostics;
using System.Net.Http.Headers;
using HdrHistogram;

namespace CustomerService.GatewayBench;

/// <summary>What one target answered over one or more rounds: latency in microseconds, and failures.</summary>
public sealed class Measurement
{
    // Up to 60 s, three significant digits.
    public LongHistogram Latency { get; } = new(60_000_000, 3);
    public long Errors { get; set; }
    public TimeSpan Elapsed { get; set; }

    public double Percentile(double p) => Latency.GetValueAtPercentile(p) / 1000.0;

    public void Add(Measurement other)
    {
        Latency.Add(other.Latency);
        Errors += other.Errors;
        Elapsed += other.Elapsed;
    }
}

/// <summary>
/// A closed loop: <c>concurrency</c> workers, each sending the next request as soon as the last answer arrived,
/// for a fixed time. Every worker records into its own histogram (no sharing on the hot path).
/// </summary>
public static class ClosedLoop
{
    public static async Task<Measurement> RunAsync(HttpClient client, Uri target, string token, int concurrency, TimeSpan length)
    {
        var workers = new Measurement[concurrency];
        var stopwatch = Stopwatch.StartNew();
        var stopAt = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => Task.Run(async () =>
        {
            var measurement = workers[i] = new Measurement();
            var authorization = new AuthenticationHeaderValue("Bearer", token);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                using var message = new HttpRequestMessage(HttpMethod.Get, target) { Headers = { Authorization = authorization } };
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                    if (!response.IsSuccessStatusCode) measurement.Errors++;
                }
                catch (HttpRequestException)
                {
                    measurement.Errors++;
                }
                measurement.Latency.RecordValue((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        })));
        var total = new Measurement { Elapsed = stopwatch.Elapsed };
        foreach (var worker in workers) total.Add(worker);
        total.Elapsed = stopwatch.Elapsed;
        return total;
    }
}
