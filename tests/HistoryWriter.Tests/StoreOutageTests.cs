using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;
using CustomerService.HistoryWriter.Storage;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// The store refusing writes for a few seconds while messages arrive, made with the real engine: the messages table
/// read-only, a summary table at its parts limit (TOO_MANY_PARTS from the materialized view), or the messages table
/// detached. The archive holds its place: nothing is parked or acked meanwhile (what the engine wrote of a refused
/// insert, before a view refused it, is written again later as the same rows), and once the store takes writes again
/// every message is archived exactly once; the one truly bad row among them is parked and the rest of its batch stored.
/// </summary>
public sealed class StoreOutageTests : IAsyncLifetime
{
    private const string Consumer = "history-outage";
    private NatsServer _nats = null!;
    private StreamPublisher _publisher = null!;
    private HistoryApp _app = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServer.StartAsync();
        _publisher = new StreamPublisher(_nats.Url);
        await _publisher.EnsureStreamsAsync();
        _app = new HistoryApp(_nats.Url, TestEngine.NewDatabase("outage"), Consumer);
        await _app.Store.ReadyAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _publisher.DisposeAsync();
        await _nats.DisposeAsync();
    }

    [Theory]
    [InlineData("read-only table")]
    [InlineData("too many parts")]
    [InlineData("detached table")]
    public async Task A_store_outage_while_messages_arrive_parks_and_loses_nothing_and_archives_each_message_once_afterwards(string outage)
    {
        const string tenant = "t-outage";
        const int before = 40, during = 200;
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        var admin = _app.ClientFor(tenant, Roles.Admin);
        for (var seq = 1; seq <= before; seq++)
            await _publisher.PublishAsync(data.Message(tenant, "conv-o", seq, ParticipantKind.Customer, "c", $"before {seq}", now.AddMilliseconds(seq)));
        await Eventually.GetAsync(() => CountAsync(tenant), n => n == before, "the messages before the outage stored", HistoryApi.Patience,
            notYet: Eventually.HttpFailed);

        var (start, end) = Outage(outage);
        await _app.Store.Database.ExecuteAsync(start, null, default);
        var outageStarted = DateTime.UtcNow;
        for (var seq = before + 1; seq <= before + during; seq++)
        {
            await _publisher.PublishAsync(data.Message(tenant, "conv-o", seq, ParticipantKind.Agent, "a", $"during {seq}", now.AddMilliseconds(seq)));
            if (seq % 20 == 0) await Task.Delay(200);
        }
        // A redelivery of some of them (another Nats-Msg-Id: JetStream keeps both) and a row the engine refuses for its
        // content (the CHECK on text length), both arriving while the store is away.
        foreach (var m in data.Messages.Skip(before).Take(10)) await _publisher.PublishAsync(m, msgId: "again-" + m.MessageId);
        var tooLong = data.Message(tenant, "conv-o", before + during + 1, ParticipantKind.Customer, "c", new string('x', 70_000), now.AddSeconds(1));
        await _publisher.PublishAsync(tooLong);
        var remaining = TimeSpan.FromSeconds(4) - (DateTime.UtcNow - outageStarted);
        if (remaining > TimeSpan.Zero) await Task.Delay(remaining);

        var held = await _publisher.JetStream.GetConsumerAsync(ChatStreams.Messages, Consumer + "-messages");
        Assert.True(held.Info.NumAckPending + (long)held.Info.NumPending >= during + 11,
            $"messages acked during the outage: {held.Info.NumAckPending} pending acks, {held.Info.NumPending} undelivered of {during + 11}");
        Assert.Empty(await ParkedAsync(tenant));
        await _app.Store.Database.ExecuteAsync(end, null, default);

        var expected = Enumerable.Range(1, before + during).Select(i => (long)i).ToList();
        var seqs = await Eventually.GetAsync(() => AllSeqsAsync(admin), s => s.Count >= expected.Count,
            "every message archived after the outage", TimeSpan.FromSeconds(60), notYet: Eventually.HttpFailed);
        Assert.Equal(expected, seqs);
        await Eventually.GetAsync(() => _publisher.JetStream.GetConsumerAsync(ChatStreams.Messages, Consumer + "-messages").AsTask(),
            c => c.Info.NumAckPending == 0 && c.Info.NumPending == 0, "every message acked", HistoryApi.Patience);
        Assert.Equal(before + during, await CountAsync(tenant));
        var parked = Assert.Single(await ParkedAsync(tenant));
        Assert.Contains("VIOLATED_CONSTRAINT", parked.Reason);
        Assert.EndsWith("." + tooLong.ConversationId, parked.Subject);
    }

    private (string Start, string End) Outage(string outage)
    {
        var schema = _app.Store.Schema;
        return outage switch
        {
            "read-only table" => ($"ALTER TABLE {schema.Messages} MODIFY SETTING table_readonly = 1",
                $"ALTER TABLE {schema.Messages} MODIFY SETTING table_readonly = 0"),
            "too many parts" => ($"ALTER TABLE {schema.MessageSlots} MODIFY SETTING parts_to_throw_insert = 1",
                $"ALTER TABLE {schema.MessageSlots} RESET SETTING parts_to_throw_insert"),
            "detached table" => ($"DETACH TABLE {schema.Messages}", $"ATTACH TABLE {schema.Messages}"),
            _ => throw new ArgumentOutOfRangeException(nameof(outage)),
        };
    }

    /// <summary>Messages of the tenant as queries see them (FINAL: a row stored twice counts once).</summary>
    private async Task<long> CountAsync(string tenant) =>
        await _app.Store.Database.QueryAsync($"SELECT count() AS n FROM {_app.Store.Schema.Messages} FINAL WHERE tenant_id = {{tenant:String}}",
            new QueryParameters().Add("tenant", tenant),
            json => long.Parse(System.Text.Json.JsonDocument.Parse(json.ToArray()).RootElement.GetProperty("n").ToString()), default);

    private async Task<IReadOnlyList<ParkedView>> ParkedAsync(string tenant) =>
(await _app.Services.GetRequiredService<HistoryQueries>().ParkedAsync(tenant, 100, null, default)).Parked;

    private static async Task<List<long>> AllSeqsAsync(HttpClient client)
    {
        var seqs = new List<long>();
        long? after = 0;
        while (after is not null)
        {
            var page = await HistoryApi.JsonAsync<TranscriptPage>(client, $"/api/history/conversations/conv-o/messages?after={after}&limit=500");
            seqs.AddRange(page.Messages.Select(m => m.Seq));
            after = page.NextAfter;
        }
        return seqs;
    }
}
