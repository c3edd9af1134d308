using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream;

namespace CustomerService.HistoryWriter.Tests;

public sealed class HistoryServiceFixture : IAsyncLifetime
{
    internal NatsServer Nats { get; private set; } = null!;
    internal HistoryApp App { get; private set; } = null!;
    internal StreamPublisher Publisher { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Nats = await NatsServer.StartAsync();
        Publisher = new StreamPublisher(Nats.Url);
        await Publisher.EnsureStreamsAsync();
        App = new HistoryApp(Nats.Url, TestEngine.NewDatabase("service"), "history");
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Publisher.DisposeAsync();
        await Nats.DisposeAsync();
    }
}

/// <summary>The service end to end: JetStream in, the HTTP API out, over real NATS and the real engine.</summary>
public sealed class HistoryServiceTests(HistoryServiceFixture fixture) : IClassFixture<HistoryServiceFixture>
{
    private HistoryApp App => fixture.App;
    private StreamPublisher Publisher => fixture.Publisher;

    [Fact]
    public async Task A_message_delivered_twice_is_stored_and_shown_once()
    {
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        await Publisher.PublishAsync(data.Started("t-dup", "conv-1", now, "cust-1", "billing", bot: false));
        for (var seq = 1; seq <= 3; seq++)
            await Publisher.PublishAsync(data.Message("t-dup", "conv-1", seq, ParticipantKind.Customer, "cust-1", $"hello {seq} 你好", now.AddSeconds(seq)));
        var agent = App.ClientFor("t-dup", Roles.Agent);
        await Eventually.GetAsync(() => HistoryApi.JsonAsync<TranscriptPage>(agent, "/api/history/conversations/conv-1/messages"),
            p => p.Messages.Count == 3, "three messages stored", HistoryApi.Patience, notYet: Eventually.HttpFailed);

        // The same message again under another Nats-Msg-Id: JetStream keeps both, so the archive receives it a second
        // time in a later batch, exactly as after a crash between storing and acking.
        await Publisher.PublishAsync(data.Messages[1], msgId: "redelivered-" + data.Messages[1].MessageId);
        await Eventually.GetAsync(() => Publisher.JetStream.GetConsumerAsync(ChatStreams.Messages, "history-messages").AsTask(),
            c => c.Info.NumAckPending == 0 && c.Info.NumPending == 0, "the second copy archived and acked", HistoryApi.Patience);

        var page = await HistoryApi.JsonAsync<TranscriptPage>(agent, "/api/history/conversations/conv-1/messages");
        Assert.Equal([1L, 2L, 3L], page.Messages.Select(m => m.Seq));
        var search = await HistoryApi.JsonAsync<SearchResult>(agent, "/api/history/search?q=" + Uri.EscapeDataString("hello 2")
            + "&to=" + Uri.EscapeDataString(now.AddMinutes(1).ToString("O")));
        Assert.Single(search.Hits);
    }

    [Fact]
    public async Task Poison_messages_are_parked_with_their_reason_and_acked_while_good_ones_are_stored()
    {
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        await Publisher.PublishAsync(data.Message("t-poison", "conv-p", 1, ParticipantKind.Customer, "c", "before", now));
        await Publisher.PublishRawAsync(Subjects.Message("t-poison", "conv-p"), [0xff, 0xff, 0xff, 0x01, 0x02], "garbage-1");
        // Refused by the engine itself (the table's CHECK on text length): found by halving the batch.
        await Publisher.PublishAsync(data.Message("t-poison", "conv-p", 2, ParticipantKind.Customer, "c", new string('x', 70_000), now.AddSeconds(1)));
        // Claims another tenant than its subject.
        var forged = data.Message("t-victim", "conv-p", 3, ParticipantKind.Customer, "c", "forged", now.AddSeconds(2));
        await Publisher.PublishRawAsync(Subjects.Message("t-poison", "conv-p"), Google.Protobuf.MessageExtensions.ToByteArray(forged), "forged-1");
        await Publisher.PublishAsync(data.Message("t-poison", "conv-p", 4, ParticipantKind.Customer, "c", "after", now.AddSeconds(3)));

        var admin = App.ClientFor("t-poison", Roles.Admin);
        var parked = await Eventually.GetAsync(async () => (await HistoryApi.JsonAsync<ParkedPage>(admin, "/api/history/parked")).Parked,
            p => p.Count >= 3, "three parked messages", HistoryApi.Patience, notYet: Eventually.HttpFailed);
        Assert.Equal(3, parked.Count);
        Assert.Contains(parked, p => p.Reason.StartsWith("unparseable", StringComparison.Ordinal) && p.PayloadBase64 == Convert.ToBase64String([0xff, 0xff, 0xff, 0x01, 0x02]));
        Assert.Contains(parked, p => p.Reason.StartsWith("rejected by the store", StringComparison.Ordinal) && p.Reason.Contains("VIOLATED_CONSTRAINT"));
        Assert.Contains(parked, p => p.Reason.Contains("differs from the subject"));

        var page = await Eventually.GetAsync(
            () => HistoryApi.JsonAsync<TranscriptPage>(admin, "/api/history/conversations/conv-p/messages"), p => p.Messages.Count == 2,
            "both messages stored", HistoryApi.Patience, notYet: Eventually.HttpFailed);
        Assert.Equal(["before", "after"], page.Messages.Select(m => m.Text));
        var consumer = await Eventually.GetAsync(() => Publisher.JetStream.GetConsumerAsync(ChatStreams.Messages, "history-messages").AsTask(),
            c => c.Info.NumAckPending == 0 && c.Info.NumPending == 0, "every message acked", HistoryApi.Patience);
        Assert.Equal(0, consumer.Info.NumAckPending);
        Assert.Equal(0, await App.RawCountAsync("messages", "t-victim"));
    }

    [Fact]
    public async Task Messages_with_blank_lines_and_any_characters_are_archived_whole_and_none_parked()
    {
        // Ids as Session makes them (they travel in NATS subjects and headers); the texts, names and metadata anything.
        var messages = AdversarialMessages.Generate("t-any", 400, seed: Environment.TickCount);
        for (var i = 0; i < messages.Count; i++)
        {
            messages[i].ConversationId = $"conv-{i % 3}";
            messages[i].MessageId = $"any-{i}";
        }
        await Task.WhenAll(messages.Chunk(50).Select(async chunk => { foreach (var m in chunk) await Publisher.PublishAsync(m); }));

        var admin = App.ClientFor("t-any", Roles.Admin);
        await Eventually.GetAsync(() => App.RawCountAsync("messages", "t-any"), n => n >= messages.Count, "every message stored",
            HistoryApi.Patience, notYet: Eventually.HttpFailed);
        await Eventually.GetAsync(() => Publisher.JetStream.GetConsumerAsync(ChatStreams.Messages, "history-messages").AsTask(),
            c => c.Info.NumAckPending == 0 && c.Info.NumPending == 0, "every message acked", HistoryApi.Patience);
        Assert.Empty((await HistoryApi.JsonAsync<ParkedPage>(admin, "/api/history/parked")).Parked);
        foreach (var conversation in messages.GroupBy(m => m.ConversationId))
        {
            var page = await HistoryApi.JsonAsync<TranscriptPage>(admin, $"/api/history/conversations/{conversation.Key}/messages?limit=500");
            var want = conversation.OrderBy(m => m.Seq).ToList();
            Assert.Equal(want.Select(m => m.MessageId), page.Messages.Select(m => m.MessageId));
            Assert.Equal(want.Select(m => m.Text), page.Messages.Select(m => m.Text));
        }
    }

    [Fact]
    public async Task A_batch_larger_than_one_insert_is_split_and_stored_whole()
    {
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        for (var seq = 1; seq <= 120; seq++)
            await Publisher.PublishAsync(data.Message("t-large", "big", seq, ParticipantKind.Agent, "a", new string((char)('a' + seq % 26), 60_000), now));
        var agent = App.ClientFor("t-large", Roles.Agent);
        var page = await Eventually.GetAsync(() => HistoryApi.JsonAsync<TranscriptPage>(agent, "/api/history/conversations/big/messages?limit=500"),
            p => p.Messages.Count == 120, "120 messages of 60 KB (7 MB) stored", HistoryApi.Patience,
            interval: TimeSpan.FromMilliseconds(100), notYet: Eventually.HttpFailed);
        Assert.All(page.Messages, m => Assert.Equal(60_000, m.Text.Length));
    }

    [Fact]
    public async Task Identity_and_roles_are_required()
    {
        var anonymous = App.CreateClient();
        var noIdentity = await anonymous.GetAsync("/api/history/search");
        Assert.Equal(HttpStatusCode.Unauthorized, noIdentity.StatusCode);
        Assert.Equal("application/problem+json", noIdentity.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await App.ClientFor("t-roles", Roles.Visitor).GetAsync("/api/history/search")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await App.ClientFor("t-roles", Roles.Agent).GetAsync("/api/history/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await App.ClientFor("t-roles", Roles.Supervisor).GetAsync("/api/history/stats?bucket=day&by=agent")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await App.ClientFor("t-roles", Roles.Supervisor).GetAsync("/api/history/retention")).StatusCode);
        var bad = await App.ClientFor("t-roles", Roles.Admin).GetAsync("/api/history/stats?tz=Mars/Olympus");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("tz", JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Another_tenant_gets_403_for_a_conversation_and_never_its_rows_whatever_the_parameters()
    {
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        await Publisher.PublishAsync(data.Started("t-owner", "secret-conv", now, "vip", "billing", bot: false));
        await Publisher.PublishAsync(data.Message("t-owner", "secret-conv", 1, ParticipantKind.Customer, "vip", "my card is 4111 秘密", now));
        var owner = App.ClientFor("t-owner", Roles.Admin);
        await Eventually.GetAsync(() => HistoryApi.JsonAsync<TranscriptPage>(owner, "/api/history/conversations/secret-conv/messages"),
            p => p.Messages.Count == 1,
            "the message stored", HistoryApi.Patience, notYet: Eventually.HttpFailed);

        var other = App.ClientFor("t-other", Roles.Admin);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/api/history/conversations/secret-conv/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/api/history/conversations/secret-conv/export")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/api/history/conversations/no-such-conv/messages")).StatusCode);
        foreach (var query in (string[])["q=秘密", "q=4111&tenant=t-owner", "customer=vip", "q=%27%20OR%201%3D1%20--", "q=%25", "q=_"])
        {
            var result = await HistoryApi.JsonAsync<SearchResult>(other, "/api/history/search?" + query);
            Assert.DoesNotContain(result.Hits, h => h.ConversationId == "secret-conv");
        }
        var spoofed = App.ClientFor("t-other", Roles.Admin);
        spoofed.DefaultRequestHeaders.Add("X-Tenant", "t-owner");
        Assert.Equal(HttpStatusCode.Forbidden, (await spoofed.GetAsync("/api/history/conversations/secret-conv/messages?tenant=t-owner")).StatusCode);

        var export = await owner.GetAsync("/api/history/conversations/secret-conv/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("attachment", export.Content.Headers.ContentDisposition?.DispositionType);
        var body = JsonDocument.Parse(await export.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("my card is 4111 秘密", body.GetProperty("messages")[0].GetProperty("text").GetString());
        Assert.Equal("started", body.GetProperty("events")[0].GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Retention_per_tenant_hides_and_then_deletes_what_is_older()
    {
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        await Publisher.PublishAsync(data.Message("t-retain", "old", 1, ParticipantKind.Customer, "c", "ten days old", now.AddDays(-10)));
        await Publisher.PublishAsync(data.Message("t-retain", "old", 2, ParticipantKind.Customer, "c", "fresh", now));
        var admin = App.ClientFor("t-retain", Roles.Admin);
        await Eventually.GetAsync(() => HistoryApi.JsonAsync<TranscriptPage>(admin, "/api/history/conversations/old/messages"),
            p => p.Messages.Count == 2, "both messages stored", HistoryApi.Patience, notYet: Eventually.HttpFailed);
        Assert.Equal(365, (await HistoryApi.JsonAsync<RetentionSetting>(admin, "/api/history/retention")).Days);

        var set = await admin.PutAsJsonAsync("/api/history/retention", new RetentionSetting(7));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(7, (await HistoryApi.JsonAsync<RetentionSetting>(admin, "/api/history/retention")).Days);
        var page = await Eventually.GetAsync(() => HistoryApi.JsonAsync<TranscriptPage>(admin, "/api/history/conversations/old/messages"),
            p => p.Messages.Count == 1, "the old message hidden", HistoryApi.Patience, notYet: Eventually.HttpFailed);
        Assert.Equal("fresh", page.Messages[0].Text);

        // The TTL deletes it for good at the next merge; forcing the merge shows the rows are gone, not just hidden.
        await App.Store.Database.ExecuteAsync($"OPTIMIZE TABLE {App.Store.Schema.Messages} FINAL", null, default);
        Assert.Equal(1, await Eventually.GetAsync(() => App.RawCountAsync("messages", "t-retain"), n => n == 1, "TTL applied", HistoryApi.Patience,
            notYet: Eventually.HttpFailed));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/api/history/retention", new RetentionSetting(0))).StatusCode);
    }
}
