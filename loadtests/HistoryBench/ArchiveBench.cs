using System.Diagnostics;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter;
using CustomerService.HistoryWriter.Storage;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using NATS.Net;
using Spectre.Console;

namespace CustomerService.HistoryBench;

/// <summary>
/// The archive measured from a real nats-server into the embedded engine, with the service's own wiring:
/// 1. drain: a backlog of N messages already in CHAT_MESSAGES, archived as fast as the archive goes;
/// 2. live: messages published at a fixed rate while the archive runs, with the lag from publish to queryable
///    (message i counts as queryable the first time the stored count exceeds i; polled every 2 ms).
/// </summary>
internal static class ArchiveBench
{
    private const int Conversations = 1000;

    public static async Task<int> RunAsync(Arguments args)
    {
        var total = (int)args.Long("messages", 300_000);
        var rate = args.Long("rate", 30_000);
        await using var nats = await NatsServer.StartAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("history-bench-archive-").FullName;
        try
        {
            await using var client = new NatsClient(nats.Url);
            var js = client.CreateJetStreamContext();
            await ChatStreams.EnsureAsync(js);

            var drain = Payloads("bench-drain", total);
            var publishClock = Stopwatch.StartNew();
            await PublishAsync(js, drain, null, null);
            AnsiConsole.MarkupLine($"backlog: {total:N0} messages published in {publishClock.Elapsed.TotalSeconds:F1} s");

            using var host = StartArchive(nats.Url, dataDirectory);
            await host.StartAsync();
            var store = host.Services.GetRequiredService<HistoryStore>();
            await store.ReadyAsync(default);
            var clock = Stopwatch.StartNew();
            TimeSpan? firstStored = null;
            while (true)
            {
                var stored = await CountAsync(store, "bench-drain");
                if (stored > 0) firstStored ??= clock.Elapsed;
                if (stored >= total) break;
                await Task.Delay(20);
            }
            var drained = clock.Elapsed;
            var drainRate = total / (drained - firstStored!.Value).TotalSeconds;
            AnsiConsole.MarkupLine($"drain: {total:N0} messages stored in {drained.TotalSeconds:F2} s from start " +
                                   $"({firstStored.Value.TotalMilliseconds:F0} ms to the first batch); [bold]{drainRate:N0} msg/s[/] sustained");

            var live = Payloads("bench-live", total);
            var publishedAt = new long[total];
            var lag = Report.Histogram();
            var poll = PollLagAsync(store, publishedAt, lag, total);
            var liveClock = Stopwatch.StartNew();
            await PublishAsync(js, live, publishedAt, rate);
            var publishSeconds = liveClock.Elapsed.TotalSeconds;
            await poll;
            var liveSeconds = liveClock.Elapsed.TotalSeconds;
            AnsiConsole.MarkupLine($"live: {total:N0} messages published at {total / publishSeconds:N0} msg/s (asked {rate:N0}); " +
                                   $"all stored after {liveSeconds:F2} s ([bold]{total / liveSeconds:N0} msg/s[/] end to end)");
            Report.Latencies("publish → queryable", ("lag", lag, "reported"));
            await host.StopAsync();
            return 0;
        }
        finally
        {
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    private static IHost StartArchive(string natsUrl, string dataDirectory)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = natsUrl,
            ["History:DataDir"] = dataDirectory,
            ["History:Database"] = "bench",
        });
        builder.AddApplicationServices();
        return builder.Build();
    }

    private static byte[][] Payloads(string tenant, int total)
    {
        var payloads = new byte[total][];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < total; i++)
        {
            payloads[i] = new ChatMessage
            {
                MessageId = $"{tenant}-{i}",
                TenantId = tenant,
                ConversationId = $"conv-{i % Conversations}",
                Seq = i / Conversations + 1,
                Sender = new Participant { Kind = i % 2 == 0 ? ParticipantKind.Customer : ParticipantKind.Agent, Id = $"p-{i % 97}", DisplayName = "someone" },
                Text = i % 3 == 0 ? "我想查询一下我的订单物流信息，谢谢" : "Your parcel left the warehouse this morning.",
                SentAtUnixMs = now + i / 1000,
            }.ToByteArray();
        }
        return payloads;
    }

    /// <summary>256 publishers with their acks in flight; paced to <paramref name="rate"/> when given.</summary>
    private static async Task PublishAsync(INatsJSContext js, byte[][] payloads, long[]? publishedAt, long? rate)
    {
        const int Publishers = 256;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Publishers).Select(async w =>
        {
            for (var i = w; i < payloads.Length; i += Publishers)
            {
                if (rate is { } r)
                {
                    var due = TimeSpan.FromSeconds((double)i / r) - clock.Elapsed;
                    if (due > TimeSpan.FromMilliseconds(1)) await Task.Delay(due);
                }
                if (publishedAt is not null) publishedAt[i] = Stopwatch.GetTimestamp();
                var message = ChatMessage.Parser.ParseFrom(payloads[i]);
                var ack = await js.PublishAsync(Subjects.Message(message.TenantId, message.ConversationId), payloads[i],
                    opts: new NatsJSPubOpts { MsgId = message.MessageId });
                ack.EnsureSuccess();
            }
        }));
    }

    private static async Task PollLagAsync(HistoryStore store, long[] publishedAt, HdrHistogram.LongHistogram lag, int total)
    {
        var seen = 0L;
        while (seen < total)
        {
            var stored = Math.Min(await CountAsync(store, "bench-live"), total);
            var now = Stopwatch.GetTimestamp();
            for (var i = seen; i < stored; i++)
                if (publishedAt[i] != 0) lag.RecordValue(Math.Max(0, Stopwatch.GetElapsedTime(publishedAt[i], now).Ticks));
            seen = stored;
            await Task.Delay(2);
        }
    }

    private static async Task<long> CountAsync(HistoryStore store, string tenant) =>
        await store.Database.QueryAsync($"SELECT count() AS n FROM {store.Schema.Messages} WHERE tenant_id = {{tenant:String}}",
            new QueryParameters().Add("tenant", tenant), json =>
            {
                if (json.IsEmpty) return 0L;
                var n = JsonDocument.Parse(json.ToArray()).RootElement.GetProperty("n");
                return n.ValueKind == JsonValueKind.String ? long.Parse(n.GetString()!) : n.GetInt64();
            }, default);
}
