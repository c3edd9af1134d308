using System.Diagnostics;
using HdrHistogram;
using NATS.Client.Core;

namespace CustomerService.Bot.Bench;

/// <summary>A bare NATS request-reply (an echo responder on a second connection) at a fixed rate, measured from each request's due time.</summary>
internal static class NatsBaseline
{
    public static async Task<LongHistogram> MeasureAsync(string url, int rate, int seconds)
    {
        await using var responder = new NatsConnection(new NatsOpts { Url = url, Name = "bench-echo" });
        await using var requester = new NatsConnection(new NatsOpts { Url = url, Name = "bench-requester" });
        await using var subscription = await responder.SubscribeCoreAsync<byte[]>("bench.echo");
        await responder.PingAsync();
        var echo = Task.Run(async () =>
        {
            await foreach (var msg in subscription.Msgs.ReadAllAsync()) await msg.ReplyAsync(msg.Data);
        });

        var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
        var total = (long)rate * seconds;
        var ticksPerRequest = (double)Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        var inFlight = new List<Task>();
        long sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (long)((Stopwatch.GetTimestamp() - start) / ticksPerRequest) + 1);
            for (; sent < due; sent++) inFlight.Add(RequestAsync(requester, start + (long)(sent * ticksPerRequest), histogram));
            await Task.Delay(1);
        }
        await Task.WhenAll(inFlight);
        await subscription.UnsubscribeAsync();
        await echo;
        return histogram;
    }

    private static async Task RequestAsync(NatsConnection requester, long dueTimestamp, LongHistogram histogram)
    {
        await requester.RequestAsync<byte[], byte[]>("bench.echo", [1, 2, 3]);
        var elapsed = Math.Max(1, (long)Stopwatch.GetElapsedTime(dueTimestamp).TotalMicroseconds);
        lock (histogram) histogram.RecordValue(elapsed);
    }
}
