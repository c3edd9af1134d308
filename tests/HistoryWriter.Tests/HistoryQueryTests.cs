using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;
using CustomerService.HistoryWriter.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// History in a database of its own, filled once with generated conversations (every row stored twice, as a
/// redelivery would), reached one way or the other: the same tests run against both.
/// </summary>
public abstract class HistoryStoreFixture : IAsyncLifetime
{
    internal const string Tiny = "tiny";
    internal const string Acme = "acme";
    internal const string Globex = "globex";
    internal const string LongConversation = "long-conversation";

    internal HistoryData Data { get; } = new();
    internal HistoryStore Store { get; private set; } = null!;
    internal HistoryQueries Queries { get; private set; } = null!;

    private protected abstract Task<IHistoryDatabase> OpenAsync();

    public async Task InitializeAsync()
    {
        var database = await OpenAsync();
        Store = new HistoryStore(database, new HistorySchema(TestEngine.NewDatabase("queries")), TimeProvider.System, NullLogger<HistoryStore>.Instance);
        await Store.ReadyAsync(default);
        Queries = new HistoryQueries(Store, TimeProvider.System, new HistoryOptions().QueryTimeout);
        Generate();
        await Data.StoreAsync(Store.Database, Store.Schema);
        await Data.StoreAsync(Store.Database, Store.Schema);
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private void Generate()
    {
        var d = Data;
        var t0 = HistoryData.Day0.AddHours(10);

        // Three conversations whose figures are worked out by hand in the stats tests.
        d.Started(Tiny, "a", t0, "c-1", "billing", bot: true);
        d.Message(Tiny, "a", 1, ParticipantKind.Customer, "c-1", "how do I pay?", t0.AddSeconds(5));
        d.Message(Tiny, "a", 2, ParticipantKind.Bot, "bot", "like this", t0.AddSeconds(6));
        d.Ended(Tiny, "a", t0.AddMinutes(2), "c-1");

        var b = t0.AddMinutes(30);
        d.Started(Tiny, "b", b, "c-2", "tech", bot: true);
        d.Message(Tiny, "b", 1, ParticipantKind.Customer, "c-2", "it is broken", b.AddSeconds(10));
        d.Message(Tiny, "b", 2, ParticipantKind.Bot, "bot", "have you tried", b.AddSeconds(11));
        d.Handoff(Tiny, "b", b.AddMinutes(1));
        d.Queued(Tiny, "b", b.AddMinutes(1).AddMilliseconds(1), "tech");
        d.Assigned(Tiny, "b", b.AddMinutes(2), "a1", "tech");
        d.Message(Tiny, "b", 3, ParticipantKind.Agent, "a1", "I am on it, damn", b.AddMinutes(2).AddSeconds(40), ("risk.flagged", "damn"));
        d.Message(Tiny, "b", 4, ParticipantKind.Customer, "c-2", "thanks", b.AddMinutes(3));
        d.Ended(Tiny, "b", b.AddMinutes(10), "a1");

        var c = t0.AddMinutes(75);
        d.Started(Tiny, "c", c, "c-3", "tech", bot: false);
        d.Queued(Tiny, "c", c.AddSeconds(1), "tech");
        d.Message(Tiny, "c", 1, ParticipantKind.Customer, "c-3", "hello", c.AddSeconds(30));
        d.Assigned(Tiny, "c", c.AddMinutes(1), "a1", "tech");
        d.Message(Tiny, "c", 2, ParticipantKind.Agent, "a1", "hi", c.AddSeconds(90));
        d.Transferred(Tiny, "c", c.AddMinutes(5), "a1", "a2");
        d.Message(Tiny, "c", 3, ParticipantKind.Agent, "a2", "taking over", c.AddMinutes(6));

        // Many conversations for two tenants, for the in-memory oracle and for isolation.
        var random = new Random(20261127);
        string[] phrases = ["我想要退款", "where is my order?", "订单号 12345 还没到", "refund please", "物流太慢了", "thank you", "发票怎么开", "can I change the address"];
        foreach (var tenant in (string[])[Acme, Globex])
        {
            for (var i = 0; i < 60; i++)
            {
                var id = $"{tenant}-{i}";
                var start = HistoryData.Day0.AddMinutes(random.Next(0, 2 * 24 * 60));
                var skill = random.Next(2) == 0 ? "billing" : "tech";
                var customer = $"cust-{random.Next(20)}";
                var flavour = random.Next(3);
                var seq = 0;
                var at = start;
                d.Started(tenant, id, at, customer, skill, bot: flavour != 2);
                d.Message(tenant, id, ++seq, ParticipantKind.Customer, customer, phrases[random.Next(phrases.Length)], at = at.AddSeconds(random.Next(1, 60)));
                if (flavour != 2) d.Message(tenant, id, ++seq, ParticipantKind.Bot, "bot", "您好，我是机器人 hello", at = at.AddSeconds(1));
                if (flavour == 0)
                {
                    d.Ended(tenant, id, at.AddSeconds(random.Next(30, 600)), customer);
                    continue;
                }
                if (flavour == 1) d.Handoff(tenant, id, at = at.AddSeconds(random.Next(5, 60)));
                d.Queued(tenant, id, at = at.AddSeconds(1), skill);
                var agent = $"agent-{random.Next(4)}";
                d.Assigned(tenant, id, at = at.AddSeconds(random.Next(1, 300)), agent, skill);
                for (var k = random.Next(1, 6); k > 0; k--)
                {
                    var flagged = random.Next(5) == 0;
                    d.Message(tenant, id, ++seq, ParticipantKind.Agent, agent, flagged ? "这是敏感词 example" : "好的 ok",
                        at = at.AddSeconds(random.Next(5, 120)), flagged ? [("risk.masked", "敏感词")] : []);
                    d.Message(tenant, id, ++seq, ParticipantKind.Customer, customer, phrases[random.Next(phrases.Length)], at = at.AddSeconds(random.Next(5, 120)));
                }
                if (random.Next(4) == 0)
                {
                    var other = $"agent-{random.Next(4)}";
                    d.Transferred(tenant, id, at = at.AddSeconds(10), agent, other);
                    d.Message(tenant, id, ++seq, ParticipantKind.Agent, other, "transferred to me", at = at.AddSeconds(30));
                }
                if (random.Next(5) != 0) d.Ended(tenant, id, at.AddSeconds(random.Next(10, 900)), agent);
            }
        }

        var chat = HistoryData.Day0.AddHours(30);
        d.Started(Acme, LongConversation, chat, "cust-long", "tech", bot: false);
        for (var seq = 1; seq <= 120; seq++)
            d.Message(Acme, LongConversation, seq, seq % 2 == 0 ? ParticipantKind.Agent : ParticipantKind.Customer,
                seq % 2 == 0 ? "agent-long" : "cust-long", $"line {seq}", chat.AddSeconds(seq));
        // The other tenant has a conversation with the same id: it must never show through.
        d.Message(Globex, LongConversation, 1, ParticipantKind.Customer, "spy", "globex's own line", chat);

        string[] tricky = ["100% sure", "under_score", "back\\slash", "it's \"quoted\"", "'; DROP TABLE messages; --", "' OR '1'='1", "tab\tand\nnewline"];
        for (var i = 0; i < tricky.Length; i++)
            d.Message(Acme, "tricky", i + 1, ParticipantKind.Customer, "cust-tricky", tricky[i], HistoryData.Day0.AddHours(40).AddSeconds(i));
    }
}

public sealed class EmbeddedHistoryStoreFixture : HistoryStoreFixture
{
    private protected override Task<IHistoryDatabase> OpenAsync() => Task.FromResult(TestEngine.OpenEmbedded());
}

/// <summary>The server mode: ClickHouse.Driver over HTTP to the real engine behind <see cref="ClickHouseHttpServer"/>.</summary>
public sealed class ServerHistoryStoreFixture : HistoryStoreFixture
{
    public ClickHouseHttpServer Server { get; private set; } = null!;

    private protected override async Task<IHistoryDatabase> OpenAsync()
    {
        Server = await ClickHouseHttpServer.StartAsync();
        return new ServerHistoryDatabase(new ClickHouse.Driver.ClickHouseClient(Server.ConnectionString()));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DisposeAsync();
    }
}

public abstract class HistoryQueryTests
{
    private readonly HistoryStoreFixture _fixture;

    private protected HistoryQueryTests(HistoryStoreFixture fixture) => _fixture = fixture;

    private HistoryQueries Queries => _fixture.Queries;
    private static DateTimeOffset From => HistoryData.Day0;
    private static DateTimeOffset To => HistoryData.Day0.AddDays(3);

    [Fact]
    public async Task A_transcript_pages_forward_and_back_by_seq_and_shows_each_message_once()
    {
        var first = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, HistoryStoreFixture.LongConversation, null, null, 50, default);
        Assert.Equal(Enumerable.Range(1, 50), first.Messages.Select(m => (int)m.Seq));
        Assert.Equal(50, first.NextAfter);
        Assert.Null(first.NextBefore);
        var second = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, HistoryStoreFixture.LongConversation, first.NextAfter, null, 50, default);
        Assert.Equal(Enumerable.Range(51, 50), second.Messages.Select(m => (int)m.Seq));
        var last = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, HistoryStoreFixture.LongConversation, second.NextAfter, null, 50, default);
        Assert.Equal(Enumerable.Range(101, 20), last.Messages.Select(m => (int)m.Seq));
        Assert.Null(last.NextAfter);

        var back = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, HistoryStoreFixture.LongConversation, null, 121, 50, default);
        Assert.Equal(Enumerable.Range(71, 50), back.Messages.Select(m => (int)m.Seq));
        Assert.Equal(71, back.NextBefore);
        var further = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, HistoryStoreFixture.LongConversation, null, 21, 50, default);
        Assert.Equal(Enumerable.Range(1, 20), further.Messages.Select(m => (int)m.Seq));
        Assert.Null(further.NextBefore);

        Assert.Equal("line 7", first.Messages[6].Text);
        Assert.Equal("customer", first.Messages[6].SenderKind);
        Assert.Equal(HistoryData.Day0.AddHours(30).AddSeconds(7), first.Messages[6].SentAt);
    }

    [Fact]
    public async Task Another_tenants_conversation_never_shows_through()
    {
        var page = await Queries.TranscriptAsync(HistoryStoreFixture.Globex, HistoryStoreFixture.LongConversation, null, null, 500, default);
        Assert.Equal(["globex's own line"], page.Messages.Select(m => m.Text));

        var tiny = await Queries.TranscriptAsync(HistoryStoreFixture.Globex, "b", null, null, 500, default);
        Assert.Empty(tiny.Messages);
        Assert.Equal(ConversationOwner.AnotherTenant, await Queries.OwnerOfAsync(HistoryStoreFixture.Globex, "b", default));
        Assert.Equal(ConversationOwner.Caller, await Queries.OwnerOfAsync(HistoryStoreFixture.Tiny, "b", default));
        Assert.Equal(ConversationOwner.Unknown, await Queries.OwnerOfAsync(HistoryStoreFixture.Globex, "nobody's", default));
        Assert.Null(await Queries.ExportAsync(HistoryStoreFixture.Globex, "b", default));

        var search = await Queries.SearchAsync(HistoryStoreFixture.Globex, new SearchCriteria(null, "c-2", null, From, To, 1000), default);
        Assert.Empty(search.Hits);
        var everything = await Queries.SearchAsync(HistoryStoreFixture.Globex, new SearchCriteria("", null, null, From, To, 1000), default);
        var globexMessages = _fixture.Data.Messages.Where(m => m.TenantId == HistoryStoreFixture.Globex).Select(m => m.MessageId).Order();
        Assert.Equal(globexMessages, everything.Hits.Select(h => h.MessageId).Order());
    }

    [Theory]
    [InlineData("退款")]
    [InlineData("订单号")]
    [InlineData("REFUND")]
    [InlineData("order")]
    [InlineData("敏感")]
    public async Task Search_finds_chinese_and_english_text_case_folded_once_each(string text)
    {
        var result = await Queries.SearchAsync(HistoryStoreFixture.Acme, new SearchCriteria(text, null, null, From, To, 1000), default);
        var expected = _fixture.Data.Messages
            .Where(m => m.TenantId == HistoryStoreFixture.Acme && m.Text.Contains(text, StringComparison.OrdinalIgnoreCase))
            .Select(m => m.MessageId).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, result.Hits.Select(h => h.MessageId).Order());
    }

    [Fact]
    public async Task Search_by_customer_agent_and_time_range()
    {
        var data = _fixture.Data;
        var customer = "cust-3";
        var conversationsOfCustomer = data.Events.Where(e => e.TenantId == HistoryStoreFixture.Acme && e.Started?.Customer?.Id == customer)
            .Select(e => e.ConversationId).ToHashSet();
        var byCustomer = await Queries.SearchAsync(HistoryStoreFixture.Acme, new SearchCriteria(null, customer, null, From, To, 1000), default);
        Assert.Equal(data.Messages.Where(m => m.TenantId == HistoryStoreFixture.Acme && conversationsOfCustomer.Contains(m.ConversationId))
            .Select(m => m.MessageId).Order(), byCustomer.Hits.Select(h => h.MessageId).Order());

        var agent = "agent-1";
        var from = HistoryData.Day0.AddHours(12);
        var to = HistoryData.Day0.AddHours(36);
        var conversationsOfAgent = data.Events.Where(e => e.TenantId == HistoryStoreFixture.Acme
                && (e.Assigned?.AgentId == agent || e.Transferred?.ToAgentId == agent)).Select(e => e.ConversationId)
            .Union(data.Messages.Where(m => m.TenantId == HistoryStoreFixture.Acme && m.Sender.Id == agent).Select(m => m.ConversationId)).ToHashSet();
        var byAgent = await Queries.SearchAsync(HistoryStoreFixture.Acme, new SearchCriteria("ok", null, agent, from, to, 1000), default);
        var expected = data.Messages.Where(m => m.TenantId == HistoryStoreFixture.Acme && conversationsOfAgent.Contains(m.ConversationId)
                && m.SentAtUnixMs >= from.ToUnixTimeMilliseconds() && m.SentAtUnixMs < to.ToUnixTimeMilliseconds()
                && m.Text.Contains("ok", StringComparison.OrdinalIgnoreCase))
            .Select(m => m.MessageId).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, byAgent.Hits.Select(h => h.MessageId).Order());
        Assert.True(byAgent.Hits.Zip(byAgent.Hits.Skip(1)).All(p => p.First.SentAt >= p.Second.SentAt), "newest first");
    }

    [Theory]
    [InlineData("%", "100% sure")]
    [InlineData("_", "under_score")]
    [InlineData("\\", "back\\slash")]
    [InlineData("'", "it's \"quoted\"|'; DROP TABLE messages; --|' OR '1'='1")]
    [InlineData("\"", "it's \"quoted\"")]
    [InlineData("'; DROP TABLE messages; --", "'; DROP TABLE messages; --")]
    [InlineData("' OR '1'='1", "' OR '1'='1")]
    [InlineData("{tenant:String}", "")]
    [InlineData("tab\tand\nnew", "tab\tand\nnewline")]
    public async Task Malicious_search_strings_are_only_data(string text, string expected)
    {
        var result = await Queries.SearchAsync(HistoryStoreFixture.Acme, new SearchCriteria(text, null, null, From, To, 1000), default);
        Assert.Equal(expected.Split('|', StringSplitOptions.RemoveEmptyEntries).Order(), result.Hits.Select(h => h.Text).Order());
        var transcript = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, text, null, null, 10, default);
        Assert.Empty(transcript.Messages);
        var stillThere = await Queries.TranscriptAsync(HistoryStoreFixture.Acme, "tricky", null, null, 10, default);
        Assert.Equal(7, stillThere.Messages.Count);
    }

    [Fact]
    public async Task Stats_match_the_hand_computed_figures()
    {
        var hours = await Queries.StatsAsync(HistoryStoreFixture.Tiny,
            new StatsCriteria(From, To, StatsBucket.Hour, StatsDimension.Tenant, "UTC"), default);
        var ten = HistoryData.Day0.AddHours(10);
        Assert.Equal(
            [
                new StatsRow(ten, "", 2, 6, 150, 360, 2, 1, 0.5, 1, 0, 1),
                new StatsRow(ten.AddHours(1), "", 1, 3, 60, null, 0, 0, null, 0, 1, 0),
            ], hours.Rows);

        var agents = await Queries.StatsAsync(HistoryStoreFixture.Tiny,
            new StatsCriteria(From, To, StatsBucket.Day, StatsDimension.Agent, "UTC"), default);
        var day = HistoryData.Day0;
        Assert.Equal(
            [
                new StatsRow(day, "", 1, 2, null, 120, 1, 1, 1.0, 0, 0, 0),
                new StatsRow(day, "a1", 1, 4, 150, 600, 1, 0, 0.0, 1, 0, 1),
                new StatsRow(day, "a2", 1, 3, 60, null, 0, 0, null, 0, 1, 0),
            ], agents.Rows);

        var skills = await Queries.StatsAsync(HistoryStoreFixture.Tiny,
            new StatsCriteria(From, To, StatsBucket.Day, StatsDimension.SkillGroup, "UTC"), default);
        Assert.Equal(["billing", "tech"], skills.Rows.Select(r => r.Key));
        Assert.Equal([1L, 2L], skills.Rows.Select(r => r.Conversations));
        Assert.Equal([2L, 7L], skills.Rows.Select(r => r.Messages));
    }

    [Theory]
    [InlineData(StatsBucket.Hour, StatsDimension.Tenant, "UTC")]
    [InlineData(StatsBucket.Day, StatsDimension.Agent, "UTC")]
    [InlineData(StatsBucket.Day, StatsDimension.SkillGroup, "Asia/Shanghai")]
    [InlineData(StatsBucket.Hour, StatsDimension.Agent, "Asia/Shanghai")]
    public async Task Stats_match_the_figures_computed_in_memory_on_generated_data(StatsBucket bucket, StatsDimension by, string zone)
    {
        var from = HistoryData.Day0.AddHours(6);
        var to = HistoryData.Day0.AddHours(42);
        var report = await Queries.StatsAsync(HistoryStoreFixture.Acme, new StatsCriteria(from, to, bucket, by, zone), default);
        var expected = StatsOracle.Compute(_fixture.Data, HistoryStoreFixture.Acme, from, to, bucket, by, TimeZoneInfo.FindSystemTimeZoneById(zone));
        Assert.True(expected.Count > 3);
        Assert.Equal(expected.Count, report.Rows.Count);
        foreach (var (want, got) in expected.Zip(report.Rows))
        {
            Assert.Equal(want with { AvgFirstResponseSeconds = null, AvgResolutionSeconds = null, BotResolvedShare = null },
                got with { AvgFirstResponseSeconds = null, AvgResolutionSeconds = null, BotResolvedShare = null });
            AssertClose(want.AvgFirstResponseSeconds, got.AvgFirstResponseSeconds);
            AssertClose(want.AvgResolutionSeconds, got.AvgResolutionSeconds);
            AssertClose(want.BotResolvedShare, got.BotResolvedShare);
        }
    }

    /// <summary>
    /// A period that starts and ends inside a 15-minute slot (as the reports page's "last 24 hours" does): whole slots
    /// come from message_slots, the partial ones from message_times; zones offset by 30 and 45 minutes too.
    /// </summary>
    [Theory]
    [InlineData(StatsBucket.Hour, StatsDimension.Tenant, "UTC")]
    [InlineData(StatsBucket.Hour, StatsDimension.Agent, "Asia/Kolkata")]
    [InlineData(StatsBucket.Day, StatsDimension.SkillGroup, "Asia/Kathmandu")]
    [InlineData(StatsBucket.Hour, StatsDimension.SkillGroup, "America/St_Johns")]
    public async Task Stats_over_a_period_that_starts_and_ends_mid_slot_match_the_figures_computed_in_memory(StatsBucket bucket,
        StatsDimension by, string zone)
    {
        var from = HistoryData.Day0.AddHours(6).AddMinutes(7).AddSeconds(13.5);
        var to = HistoryData.Day0.AddHours(41).AddMinutes(52).AddMilliseconds(1);
        // Bounds that cut through slots with messages on both sides of the cut: a message just before the start or at
        // the end must be left out, one at the start or just before the end counted.
        var times = _fixture.Data.Messages.Where(m => m.TenantId == HistoryStoreFixture.Acme)
            .Select(m => DateTimeOffset.FromUnixTimeMilliseconds(m.SentAtUnixMs)).Order().ToList();
        var (early, late) = (times[times.Count / 4], times[times.Count * 3 / 4]);
        foreach (var (f, t) in (ValueTuple<DateTimeOffset, DateTimeOffset>[])[
            (from, to), (from, from.AddMinutes(5)), (from.AddHours(20), from.AddHours(20).AddMinutes(16)),
            (early.AddMilliseconds(1), late), (early, late.AddMilliseconds(1)), (early.AddMilliseconds(-1), early.AddMilliseconds(1))])
        {
            var report = await Queries.StatsAsync(HistoryStoreFixture.Acme, new StatsCriteria(f, t, bucket, by, zone), default);
            var expected = StatsOracle.Compute(_fixture.Data, HistoryStoreFixture.Acme, f, t, bucket, by, TimeZoneInfo.FindSystemTimeZoneById(zone));
            AssertSameFigures(expected, report.Rows);
        }
    }

    /// <summary>
    /// Redelivery at its worst: a batch stored, then again mixed with new rows, then rows repeated inside one insert,
    /// then everything once more; before and after the engine merges its parts, the figures are those of one copy.
    /// </summary>
    [Fact]
    public async Task Redelivered_batches_do_not_inflate_the_figures_before_or_after_merges()
    {
        var database = _fixture.Store.Database;
        var schema = new HistorySchema(TestEngine.NewDatabase("redelivered"));
        await schema.EnsureAsync(database, default);
        var data = _fixture.Data;
        var messages = data.Messages.Where(m => m.TenantId == HistoryStoreFixture.Acme).ToList();
        var events = data.Events.Where(e => e.TenantId == HistoryStoreFixture.Acme).ToList();
        await data.StoreAsync(database, schema, messages.Take(messages.Count / 2), events.Take(events.Count / 2));
        await data.StoreAsync(database, schema, messages.Take(messages.Count * 3 / 4), events.Take(events.Count * 3 / 4));
        await data.StoreAsync(database, schema, messages.SelectMany(m => new[] { m, m }), events.SelectMany(e => new[] { e, e, e }));
        await data.StoreAsync(database, schema, messages, events);
        var queries = new HistoryQueries(new HistoryStore(database, schema, TimeProvider.System, NullLogger<HistoryStore>.Instance), TimeProvider.System, new HistoryOptions().QueryTimeout);

        await AssertFiguresAsync(queries);
        foreach (var table in (string[])[schema.Messages, schema.Events, .. schema.SummaryTables])
            await database.ExecuteAsync($"OPTIMIZE TABLE {table} FINAL", null, default);
        await AssertFiguresAsync(queries);

        async Task AssertFiguresAsync(HistoryQueries q)
        {
            foreach (var (by, zone, f, t) in (ValueTuple<StatsDimension, string, DateTimeOffset, DateTimeOffset>[])[
                (StatsDimension.Agent, "UTC", HistoryData.Day0.AddHours(6), HistoryData.Day0.AddHours(42)),
                (StatsDimension.Tenant, "Asia/Shanghai", HistoryData.Day0.AddHours(6).AddMinutes(3), HistoryData.Day0.AddHours(41).AddMinutes(59))])
            {
                var report = await q.StatsAsync(HistoryStoreFixture.Acme, new StatsCriteria(f, t, StatsBucket.Hour, by, zone), default);
                AssertSameFigures(StatsOracle.Compute(data, HistoryStoreFixture.Acme, f, t, StatsBucket.Hour, by, TimeZoneInfo.FindSystemTimeZoneById(zone)),
                    report.Rows);
            }
        }
    }

    /// <summary>History stored before the summaries existed (an upgrade) is summarised when the service next starts.</summary>
    [Fact]
    public async Task History_stored_before_the_summaries_existed_is_summarised_at_the_next_start()
    {
        var database = _fixture.Store.Database;
        var schema = new HistorySchema(TestEngine.NewDatabase("upgrade"));
        foreach (var statement in schema.Statements()) await database.ExecuteAsync(statement, null, default);
        await _fixture.Data.StoreAsync(database, schema);
        await _fixture.Data.StoreAsync(database, schema);

        await schema.EnsureAsync(database, default);
        var queries = new HistoryQueries(new HistoryStore(database, schema, TimeProvider.System, NullLogger<HistoryStore>.Instance), TimeProvider.System, new HistoryOptions().QueryTimeout);
        var criteria = new StatsCriteria(From, To, StatsBucket.Hour, StatsDimension.Agent, "UTC");
        Assert.Equal((await Queries.StatsAsync(HistoryStoreFixture.Tiny, criteria, default)).Rows,
            (await queries.StatsAsync(HistoryStoreFixture.Tiny, criteria, default)).Rows);
        var acme = new StatsCriteria(HistoryData.Day0.AddHours(6), HistoryData.Day0.AddHours(42), StatsBucket.Day, StatsDimension.SkillGroup, "UTC");
        AssertSameFigures(StatsOracle.Compute(_fixture.Data, HistoryStoreFixture.Acme, acme.From, acme.To, acme.Bucket, acme.By, TimeZoneInfo.Utc),
            (await queries.StatsAsync(HistoryStoreFixture.Acme, acme, default)).Rows);

        // A second start finds the backfill done and does not repeat it (it would be harmless, but slow on big tables).
        await schema.EnsureAsync(database, default);
        Assert.Equal((await Queries.StatsAsync(HistoryStoreFixture.Tiny, criteria, default)).Rows,
            (await queries.StatsAsync(HistoryStoreFixture.Tiny, criteria, default)).Rows);
    }

    private static void AssertSameFigures(List<StatsRow> expected, IReadOnlyList<StatsRow> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (want, got) in expected.Zip(actual))
        {
            Assert.Equal(want with { AvgFirstResponseSeconds = null, AvgResolutionSeconds = null, BotResolvedShare = null },
                got with { AvgFirstResponseSeconds = null, AvgResolutionSeconds = null, BotResolvedShare = null });
            AssertClose(want.AvgFirstResponseSeconds, got.AvgFirstResponseSeconds);
            AssertClose(want.AvgResolutionSeconds, got.AvgResolutionSeconds);
            AssertClose(want.BotResolvedShare, got.BotResolvedShare);
        }
    }

    [Fact]
    public async Task Export_holds_the_events_and_every_message_once()
    {
        var export = await Queries.ExportAsync(HistoryStoreFixture.Tiny, "b", default);
        Assert.NotNull(export);
        Assert.Equal(["started", "handoff", "queued", "assigned", "ended"], export.Events.Select(e => e.Kind));
        Assert.Equal("a1", export.Events[3].AgentId);
        Assert.Equal([1L, 2L, 3L, 4L], export.Messages.Select(m => m.Seq));
        Assert.Equal("damn", export.Messages[2].Metadata["risk.flagged"]);
    }

    private static void AssertClose(double? expected, double? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is not null) Assert.Equal(expected.Value, actual!.Value, 6);
    }
}

public sealed class EmbeddedHistoryQueryTests(EmbeddedHistoryStoreFixture fixture)
    : HistoryQueryTests(fixture), IClassFixture<EmbeddedHistoryStoreFixture>;

/// <summary>The same queries, sent by ClickHouse.Driver over ClickHouse's HTTP interface.</summary>
public sealed class ServerHistoryQueryTests(ServerHistoryStoreFixture fixture)
    : HistoryQueryTests(fixture), IClassFixture<ServerHistoryStoreFixture>
{
    [Fact]
    public void The_queries_really_went_through_the_driver_and_the_http_interface() =>
        Assert.True(fixture.Server.Requests > 10);
}
