using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.History;
using CustomerService.HistoryWriter.Storage;
using CustomerService.HistoryWriter.Storage.Chdb;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace CustomerService.HistoryBench;

/// <summary>
/// Query latency with N messages stored (10 million by default) in the embedded engine, through the service's own
/// HistoryQueries. 20 tenants over 30 days, the first tenant with 30% of everything (the one measured), conversations
/// of 50 messages with started, queued, assigned and ended events. Generated once into --data and reused.
/// </summary>
internal static class QueryBench
{
    private const int Tenants = 20;
    private const int Days = 30;
    private const int MessagesPerConversation = 50;
    private const int AgentsPerTenant = 50;
    private static readonly string[] Phrases =
        ["我想要退款", "where is my order?", "订单号 12345 还没到", "refund please", "物流太慢了", "thank you", "发票怎么开", "can I change the address",
         "您好，请问有什么可以帮您", "the package arrived damaged", "请提供您的手机号码", "I was charged twice"];

    public static async Task<int> RunAsync(Arguments args)
    {
        var rows = args.Long("rows", 10_000_000);
        var dataDirectory = args.Text("data", Path.Combine(Path.GetTempPath(), "history-bench-queries"));
        var library = ChdbLibrary.Locate(null);
        await using var store = new HistoryStore(EmbeddedHistoryDatabase.Open(library, dataDirectory), new HistorySchema("bench"),
            TimeProvider.System, NullLogger<HistoryStore>.Instance);
        var ready = Stopwatch.StartNew();
        await store.ReadyAsync(default);
        AnsiConsole.MarkupLine($"schema ready in {ready.Elapsed.TotalSeconds:F1} s (includes summarising history stored before the BI summaries existed, once)");
        var firstDay = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-Days);

        var stored = await CountAsync(store);
        if (stored < rows)
        {
            AnsiConsole.MarkupLine($"generating {rows:N0} messages into {dataDirectory} (found {stored:N0}) ...");
            await store.Database.ExecuteAsync($"TRUNCATE TABLE {store.Schema.Messages}", null, default);
            await store.Database.ExecuteAsync($"TRUNCATE TABLE {store.Schema.Events}", null, default);
            foreach (var summary in store.Schema.SummaryTables)
                await store.Database.ExecuteAsync($"TRUNCATE TABLE {summary}", null, default);
            var clock = Stopwatch.StartNew();
            await GenerateAsync(store, rows, firstDay);
            AnsiConsole.MarkupLine($"generated in {clock.Elapsed.TotalSeconds:F0} s");
        }
        AnsiConsole.MarkupLine($"{await CountAsync(store):N0} messages stored");

        var queries = new HistoryQueries(store, TimeProvider.System, new CustomerService.HistoryWriter.HistoryOptions().QueryTimeout);
        var random = new Random(7);
        var conversationsOfTenant0 = (int)(rows * 3 / 10 / MessagesPerConversation);
        var transcript = Report.Histogram();
        for (var i = 0; i < 300; i++)
        {
            var conversation = $"t00-c{random.Next(conversationsOfTenant0)}";
            var after = random.Next(0, MessagesPerConversation - 10);
            var clock = Stopwatch.StartNew();
            var page = await queries.TranscriptAsync("tenant-00", conversation, after, null, 50, default);
            transcript.RecordValue(clock.Elapsed.Ticks);
            if (page.Messages.Count == 0) throw new InvalidOperationException($"empty page for {conversation}");
        }

        var day = firstDay.AddDays(Days / 2);
        var stats = Report.Histogram();
        var statsByAgent = Report.Histogram();
        var search = Report.Histogram();
        long conversationsThatDay = 0;
        for (var i = 0; i < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            var report = await queries.StatsAsync("tenant-00", new StatsCriteria(day, day.AddDays(1), StatsBucket.Hour, StatsDimension.Tenant, "UTC"), default);
            stats.RecordValue(clock.Elapsed.Ticks);
            conversationsThatDay = report.Rows.Sum(r => r.Conversations);
            clock.Restart();
            await queries.StatsAsync("tenant-00", new StatsCriteria(day, day.AddDays(1), StatsBucket.Day, StatsDimension.Agent, "Asia/Shanghai"), default);
            statsByAgent.RecordValue(clock.Elapsed.Ticks);
            clock.Restart();
            await queries.SearchAsync("tenant-00", new SearchCriteria(i % 2 == 0 ? "退款" : "charged twice", null, null, day, day.AddDays(1), 50), default);
            search.RecordValue(clock.Elapsed.Ticks);
        }
        AnsiConsole.MarkupLine($"tenant-00 on {day:yyyy-MM-dd}: {conversationsThatDay:N0} conversations started");
        Report.Latencies($"queries over {rows:N0} messages",
            ("transcript page (50)", transcript, "< 50 ms"),
            ("one-day BI, hourly, tenant", stats, "< 500 ms"),
            ("one-day BI, daily, by agent", statsByAgent, "< 500 ms"),
            ("one-day text search", search, "reported"));
        return 0;
    }

    /// <summary>Writes conversations straight through the archive's row encoders, 10,000 messages (about 1 MB) per insert.</summary>
    private static async Task GenerateAsync(HistoryStore store, long total, DateTimeOffset firstDay)
    {
        var random = new Random(42);
        var messages = new ArrayBufferWriter<byte>(64 << 20);
        var events = new ArrayBufferWriter<byte>(8 << 20);
        var archivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var conversationsTotal = total / MessagesPerConversation;
        var perTenant = new int[Tenants];
        var message = new ChatMessage { Sender = new Participant() };
        long written = 0;
        for (long c = 0; c < conversationsTotal; c++)
        {
            var tenantIndex = random.Next(10) < 3 ? 0 : 1 + random.Next(Tenants - 1);
            var tenant = $"tenant-{tenantIndex:D2}";
            var conversation = $"t{tenantIndex:D2}-c{perTenant[tenantIndex]++}";
            var start = firstDay.AddSeconds(random.Next(Days * 86_400));
            var agent = $"agent-{random.Next(AgentsPerTenant)}";
            var skill = random.Next(3) switch { 0 => "billing", 1 => "tech", _ => "logistics" };
            var customer = $"cust-{random.Next(100_000)}";
            var at = start;
            WriteEvent(events, tenant, conversation, "e1", at, ConversationState.New,
                e => e.Started = new ConversationStarted { Customer = new Participant { Kind = ParticipantKind.Customer, Id = customer }, SkillGroup = skill }, archivedAt);
            WriteEvent(events, tenant, conversation, "e2", at.AddSeconds(2), ConversationState.Queued, e => e.Queued = new ConversationQueued { SkillGroup = skill }, archivedAt);
            WriteEvent(events, tenant, conversation, "e3", at.AddSeconds(20), ConversationState.Assigned,
                e => e.Assigned = new AgentAssigned { AgentId = agent, SkillGroup = skill }, archivedAt);
            message.TenantId = tenant;
            message.ConversationId = conversation;
            for (var seq = 1; seq <= MessagesPerConversation; seq++)
            {
                var fromCustomer = seq % 2 == 1;
                at = at.AddSeconds(random.Next(3, 40));
                message.MessageId = $"{conversation}-{seq}";
                message.Seq = seq;
                message.Sender.Kind = fromCustomer ? ParticipantKind.Customer : ParticipantKind.Agent;
                message.Sender.Id = fromCustomer ? customer : agent;
                message.Text = Phrases[random.Next(Phrases.Length)] + " #" + random.Next(1000);
                message.SentAtUnixMs = at.ToUnixTimeMilliseconds();
                message.Metadata.Clear();
                if (random.Next(200) == 0) message.Metadata["risk.flagged"] = "敏感词";
                MessageRows.Write(new RowBinaryWriter(messages), message, 365, archivedAt);
            }
            WriteEvent(events, tenant, conversation, "e4", at.AddSeconds(30), ConversationState.Ended, e => e.Ended = new ConversationEnded { EndedBy = agent }, archivedAt);
            written += MessagesPerConversation;
            if (written % 10_000 == 0 || c == conversationsTotal - 1)
            {
                await store.Database.InsertAsync(store.Schema.Messages, HistorySchema.MessageColumns, messages.WrittenMemory, default);
                await store.Database.InsertAsync(store.Schema.Events, HistorySchema.EventColumns, events.WrittenMemory, default);
                messages.ResetWrittenCount();
                events.ResetWrittenCount();
                if (written % 1_000_000 == 0) AnsiConsole.MarkupLine($"  {written:N0}");
            }
        }
    }

    private static void WriteEvent(ArrayBufferWriter<byte> rows, string tenant, string conversation, string id, DateTimeOffset at,
        ConversationState state, Action<ConversationEvent> kind, long archivedAt)
    {
        var e = new ConversationEvent { TenantId = tenant, ConversationId = conversation, EventId = $"{conversation}-{id}", OccurredAtUnixMs = at.ToUnixTimeMilliseconds(), State = state };
        kind(e);
        EventRows.Write(new RowBinaryWriter(rows), e, 365, archivedAt);
    }

    private static async Task<long> CountAsync(HistoryStore store) =>
        await store.Database.QueryAsync($"SELECT count() AS n FROM {store.Schema.Messages}", null, json =>
        {
            var n = JsonDocument.Parse(json.ToArray()).RootElement.GetProperty("n");
            return n.ValueKind == JsonValueKind.String ? long.Parse(n.GetString()!) : n.GetInt64();
        }, default);
}
