using System.Buffers;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.History;
using CustomerService.HistoryWriter.Storage;
using CustomerService.HistoryWriter.Storage.Chdb;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// Whatever bytes a row holds, it is stored whole and reads back byte for byte, through both ways of reaching the
/// engine. Inline data after FORMAT ended at the first empty line (two 0x0A bytes in a row: a text with a blank
/// line, or seq 2570), which failed the insert with CANNOT_READ_ALL_DATA and got real messages parked.
/// </summary>
public sealed class InsertTransportTests : IAsyncLifetime
{
    private const int Messages = 3_000;
    private ClickHouseHttpServer _server = null!;

    public async Task InitializeAsync() => _server = await ClickHouseHttpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_row_with_a_blank_line_in_its_text_or_0x0A0A_in_its_numbers_is_stored()
    {
        await using var store = await OpenAsync("embedded");
        var message = new HistoryData().Message("t-blank", "c", 2570, ParticipantKind.Customer, "c-1", "line one\n\nline three", DateTimeOffset.UtcNow);
        await new HistoryData().StoreAsync(store.Database, store.Schema, [message], []);
        var page = await new HistoryQueries(store, TimeProvider.System, new HistoryOptions().QueryTimeout).TranscriptAsync("t-blank", "c", null, null, 10, default);
        Assert.Equal("line one\n\nline three", Assert.Single(page.Messages).Text);
        Assert.Equal(2570, page.Messages[0].Seq);
    }

    [Theory]
    [InlineData("embedded")]
    [InlineData("server")]
    public async Task Thousands_of_adversarial_rows_are_stored_and_read_back_byte_identical(string mode)
    {
        var seed = Environment.TickCount;
        var tenant = "t-adversarial";
        var messages = AdversarialMessages.Generate(tenant, Messages, seed);
        await using var store = await OpenAsync(mode);

        // In inserts of a few hundred kilobytes up to a few megabytes, as the archive sends them.
        var rows = new ArrayBufferWriter<byte>();
        var archivedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sawBlankLine = false;
        foreach (var chunk in messages.Chunk(1_000))
        {
            rows.ResetWrittenCount();
            foreach (var m in chunk) MessageRows.Write(new RowBinaryWriter(rows), m, 365, archivedAt);
            sawBlankLine |= rows.WrittenSpan.IndexOf("\n\n"u8) >= 0;
            await store.Database.InsertAsync(store.Schema.Messages, HistorySchema.MessageColumns, rows.WrittenMemory, default);
        }
        Assert.True(sawBlankLine, "the data held no empty line: the test would not catch the defect");

        var stored = await ReadBackAsync(store, tenant);
        Assert.Equal(messages.Count, stored.Count);
        foreach (var m in messages)
        {
            Assert.True(stored.TryGetValue(Hex(m.MessageId), out var row), $"message {m.MessageId} missing (seed {seed})");
            var expected = new StoredRow(Hex(m.MessageId), Hex(m.ConversationId), m.Seq, Hex(m.Sender.Id), Hex(m.Sender.DisplayName), Hex(m.Text),
                m.SentAtUnixMs, [.. m.Metadata.Select(p => Hex(p.Key) + "=" + Hex(p.Value)).Order()],
                [.. m.QuickReplies.Select(q => Hex(q.Title) + "=" + Hex(q.Payload))]);
            if (!expected.Equals(row with { Metadata = [.. row.Metadata.Order()] }))
                Assert.Fail($"message {m.Seq} differs (seed {seed}):\nexpected {expected}\nstored   {row}");
        }

        // And through the API's own reading (JSON rows into MessageView), conversation by conversation.
        var queries = new HistoryQueries(store, TimeProvider.System, new HistoryOptions().QueryTimeout);
        foreach (var conversation in messages.GroupBy(m => m.ConversationId))
        {
            var shown = new List<MessageView>();
            long? after = 0;
            while (after is not null)
            {
                var page = await queries.TranscriptAsync(tenant, conversation.Key, after, null, 500, default);
                shown.AddRange(page.Messages);
                after = page.NextAfter;
            }
            var want = conversation.OrderBy(m => m.Seq).ToList();
            Assert.Equal(want.Select(m => m.MessageId), shown.Select(m => m.MessageId));
            Assert.Equal(want.Select(m => m.Text), shown.Select(m => m.Text));
            Assert.Equal(want.Select(m => m.Sender.DisplayName), shown.Select(m => m.SenderName));
        }
    }

    private sealed record StoredRow(string MessageId, string ConversationId, long Seq, string SenderId, string SenderName, string Text,
        long SentAtMs, List<string> Metadata, List<string> QuickReplies)
    {
        public bool Equals(StoredRow? other) => other is not null && MessageId == other.MessageId && ConversationId == other.ConversationId
            && Seq == other.Seq && SenderId == other.SenderId && SenderName == other.SenderName && Text == other.Text && SentAtMs == other.SentAtMs
            && Metadata.SequenceEqual(other.Metadata) && QuickReplies.SequenceEqual(other.QuickReplies);

        public override int GetHashCode() => HashCode.Combine(MessageId, Seq);

        public override string ToString() =>
            $"{{id {MessageId}, conversation {ConversationId}, seq {Seq}, sender {SenderId}/{SenderName}, sent {SentAtMs}, text {Text}, " +
            $"metadata [{string.Join(", ", Metadata)}], replies [{string.Join(", ", QuickReplies)}]}}";
    }

    /// <summary>Every stored row of the tenant, each string as the hex of its stored bytes.</summary>
    private static async Task<Dictionary<string, StoredRow>> ReadBackAsync(HistoryStore store, string tenant) =>
        await store.Database.QueryAsync($$"""
            SELECT hex(message_id) AS id, hex(conversation_id) AS conversation, toString(seq) AS seq, hex(sender_id) AS sender_id,
                hex(sender_name) AS sender_name, hex(text) AS text, toString(toUnixTimestamp64Milli(sent_at)) AS sent_at_ms,
                arrayMap((k, v) -> concat(hex(k), '=', hex(v)), mapKeys(metadata), mapValues(metadata)) AS metadata,
                arrayMap(q -> concat(hex(q.title), '=', hex(q.payload)), quick_replies) AS quick_replies
            FROM {{store.Schema.Messages}}
            WHERE tenant_id = {tenant:String}
            """, new QueryParameters().Add("tenant", tenant), json =>
        {
            var rows = new Dictionary<string, StoredRow>();
            foreach (var line in new JsonLines(json))
            {
                var r = JsonDocument.Parse(line.ToArray()).RootElement;
                string S(string name) => r.GetProperty(name).GetString()!;
                List<string> A(string name) => [.. r.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
                var row = new StoredRow(S("id"), S("conversation"), long.Parse(S("seq")), S("sender_id"), S("sender_name"), S("text"),
                    long.Parse(S("sent_at_ms")), A("metadata"), A("quick_replies"));
                Assert.True(rows.TryAdd(row.MessageId, row), $"message {row.MessageId} stored twice");
            }
            return rows;
        }, default);

    private static string Hex(string text) => Convert.ToHexString(Encoding.UTF8.GetBytes(text));

    private async Task<HistoryStore> OpenAsync(string mode)
    {
        IHistoryDatabase database = mode == "embedded"
            ? TestEngine.OpenEmbedded()
            : new ServerHistoryDatabase(new ClickHouse.Driver.ClickHouseClient(_server.ConnectionString()));
        var store = new HistoryStore(database, new HistorySchema(TestEngine.NewDatabase("insert")), TimeProvider.System,
            NullLogger<HistoryStore>.Instance);
        await store.ReadyAsync(default);
        return store;
    }
}
