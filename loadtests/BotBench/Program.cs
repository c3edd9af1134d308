using System.Diagnostics;
using CustomerService.Bot;
using CustomerService.Bot.Bench;
using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using CustomerService.TestInfrastructure;
using HdrHistogram;
using NATS.Client.Core;
using StackExchange.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Customer message → bot reply latency over real NATS and Redis: nats-server and redis-server on loopback, the Bot
// service's own wiring in this process, and this program playing Session. Open loop at a fixed rate per scenario.
var options = BenchOptions.Parse(args);
Console.WriteLine($"BotBench: {options.Rate} msg/s for {options.Seconds} s per scenario (+{options.WarmupSeconds} s warm-up), " +
                  $"{options.Conversations} conversations, FAQ of {options.FaqEntries} entries, {Environment.ProcessorCount} cores");

await using var natsServer = await NatsServer.StartAsync();
await using var redisServer = await RedisServer.StartAsync();

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", Args = [] });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:nats"] = natsServer.Url,
    ["ConnectionStrings:redis"] = redisServer.ConnectionString,
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.AddApplicationServices();
using var bot = builder.Build();
bot.Services.GetRequiredService<BotKnowledgeStore>().Replace(BenchKnowledge.Tenant, BenchKnowledge.Create(options.FaqEntries));
await bot.StartAsync();
await bot.Services.GetRequiredService<BotInboxWorker>().Subscribed;

await using var nats = new NatsConnection(new NatsOpts { Url = natsServer.Url, Name = "bench-session" });
await using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.ConnectionString);
await using var session = new SessionSide(nats, redis.GetDatabase());
await session.StartAsync();
var conversations = Enumerable.Range(0, options.Conversations).Select(i => $"conv-{i}").ToArray();
foreach (var conversation in conversations) await session.SeedConversationAsync(conversation);

// What this machine allows at the moment: a bare NATS request-reply between two connections, at the same rate. On a
// shared or loaded box its tail shows how much of the bot's tail is the machine's.
var baseline = await NatsBaseline.MeasureAsync(natsServer.Url, options.Rate, options.Seconds);

// One warm-up with both kinds of message, so that neither measured scenario pays for JIT compilation and connection set-up.
await RunAsync(null, options.WarmupSeconds, [.. BenchKnowledge.RuleMessages, .. BenchKnowledge.FaqMessages]);

var results = new List<(string Scenario, Latencies Latencies, long Sent)>();
foreach (var (scenario, source, messages) in new[] { ("rules", "rule", BenchKnowledge.RuleMessages), ("faq model", "faq", BenchKnowledge.FaqMessages) })
{
    session.ExpectedSource = source;
    var latencies = new Latencies();
    var sent = await RunAsync(latencies, options.Seconds, messages);
    results.Add((scenario, latencies, sent));
}

// The engine alone (rules, FAQ retrieval), without NATS and Redis round trips: the CPU cost of a decision.
var engine = bot.Services.GetRequiredService<BotEngine>();
var engineCosts = new List<(string Scenario, LongHistogram Histogram)>();
foreach (var (scenario, messages) in new[] { ("rules", BenchKnowledge.RuleMessages), ("faq model", BenchKnowledge.FaqMessages) })
{
    var histogram = new LongHistogram(TimeStamp.Seconds(10), 3);
    for (var i = 0; i < 20_000; i++)
    {
        var turn = new BotTurn { TenantId = BenchKnowledge.Tenant, Message = new CustomerService.Contracts.ChatMessage { TenantId = BenchKnowledge.Tenant, ConversationId = "engine", Text = messages[i % messages.Length] } };
        var started = Stopwatch.GetTimestamp();
        await engine.HandleAsync(turn, CancellationToken.None);
        if (i >= 2_000) histogram.RecordValue(Math.Max(1, (long)(Stopwatch.GetElapsedTime(started).TotalMicroseconds * 10)));
    }
    engineCosts.Add((scenario, histogram));
}

Console.WriteLine();
Console.WriteLine($"{"engine",-10} {"decisions",9} {"mean µs",8} {"p50 µs",8} {"p99 µs",8}");
foreach (var (scenario, histogram) in engineCosts)
{
    Console.WriteLine($"{scenario,-10} {histogram.TotalCount,9} {histogram.GetMean() / 10,8:F1} {histogram.GetValueAtPercentile(50) / 10.0,8:F1} {histogram.GetValueAtPercentile(99) / 10.0,8:F1}");
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-10} {"measured from",13} {"replies",8} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"p99.9 ms",9} {"max ms",8}");
foreach (var (scenario, latencies, _) in results)
{
    foreach (var (label, histogram) in new[] { ("due time", latencies.FromIntended), ("publish", latencies.FromSent) })
    {
        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) / 1000.0;
        Console.WriteLine($"{scenario,-10} {label,13} {histogram.TotalCount,8} {Ms(50),8:F2} {Ms(90),8:F2} {Ms(99),8:F2} {Ms(99.9),9:F2} {histogram.GetMaxValue() / 1000.0,8:F2}");
    }
}
Console.WriteLine($"{"baseline",-10} {"NATS echo",13} {baseline.TotalCount,8} {baseline.GetValueAtPercentile(50) / 1000.0,8:F2} {baseline.GetValueAtPercentile(90) / 1000.0,8:F2} {baseline.GetValueAtPercentile(99) / 1000.0,8:F2} {baseline.GetValueAtPercentile(99.9) / 1000.0,9:F2} {baseline.GetMaxValue() / 1000.0,8:F2}");
Console.WriteLine($"replies from an unexpected source: {session.WrongSource}; unanswered: {session.Pending}");

await bot.StopAsync();
var worst = results.Max(r => r.Latencies.FromIntended.GetValueAtPercentile(99)) / 1000.0;
var complete = results.All(r => r.Latencies.FromIntended.TotalCount == r.Sent) && session.WrongSource == 0;
Console.WriteLine(worst < 50 && complete ? $"PASS: p99 {worst:F2} ms < 50 ms" : $"FAIL: p99 {worst:F2} ms, complete {complete}");
return worst < 50 && complete ? 0 : 1;

// Sends at a fixed rate for the given time, each message stamped with the moment it was due; then waits for the replies.
async Task<long> RunAsync(Latencies? latencies, int seconds, string[] messages)
{
    var total = (long)options.Rate * seconds;
    var start = Stopwatch.GetTimestamp();
    var ticksPerMessage = (double)Stopwatch.Frequency / options.Rate;
    long sent = 0;
    while (sent < total)
    {
        var due = Math.Min(total, (long)((Stopwatch.GetTimestamp() - start) / ticksPerMessage) + 1);
        for (; sent < due; sent++)
        {
            await session.SendAsync(conversations[sent % conversations.Length], messages[sent % messages.Length], start + (long)(sent * ticksPerMessage), latencies);
        }
        await Task.Delay(1);
    }
    var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
    while (session.Pending > 0 && Stopwatch.GetTimestamp() < deadline) await Task.Delay(10);
    return total;
}
