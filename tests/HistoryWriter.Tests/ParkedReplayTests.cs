using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.History;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// An admin lists the tenant's parked messages page by page and replays them, one or all: a message parked for what
/// was the store's state (as the archive did before transient errors were told apart) is archived and leaves the list;
/// a truly bad one stays parked with its new reason; a store that cannot take writes leaves everything as it was.
/// </summary>
public sealed class ParkedReplayTests(HistoryServiceFixture fixture) : IClassFixture<HistoryServiceFixture>
{
    private const string OldReason = "rejected by the store: Code: 774. DB::Exception: Table is in readonly mode. (TABLE_IS_PERMANENTLY_READ_ONLY)";
    private HistoryApp App => fixture.App;
    private StreamPublisher Publisher => fixture.Publisher;

    [Fact]
    public async Task Parked_messages_are_listed_in_pages_replayed_by_an_admin_and_a_bad_one_stays_parked_with_its_new_reason()
    {
        const string tenant = "t-replay";
        var data = new HistoryData();
        var now = DateTimeOffset.UtcNow;
        var admin = App.ClientFor(tenant, Roles.Admin);
        await Publisher.PublishAsync(data.Message(tenant, "conv-r", 1, ParticipantKind.Customer, "c", "first", now));
        await Publisher.PublishAsync(data.Message(tenant, "conv-r", 2, ParticipantKind.Customer, "c", new string('x', 70_000), now.AddSeconds(1)));
        await Publisher.PublishRawAsync(Subjects.Message(tenant, "conv-r"), [0xff, 0xff, 0x01], "replay-garbage");
        var good = Enumerable.Range(3, 3)
            .Select(seq => data.Message(tenant, "conv-r", seq, ParticipantKind.Agent, "a", $"parked but fine {seq}", now.AddSeconds(seq))).ToList();
        await ParkAsOfOldAsync(good, firstStreamSeq: 1_000_000);

        var all = await Eventually.GetAsync(() => ListAllAsync(admin, pageSize: 2), p => p.Count >= 5, "five parked messages", HistoryApi.Patience,
            notYet: Eventually.HttpFailed);
        Assert.Equal(5, all.Count);
        Assert.Equal(5, all.Select(p => p.Id).Distinct().Count());
        Assert.Equal(all.OrderByDescending(p => p.ParkedAt).Select(p => p.ParkedAt), all.Select(p => p.ParkedAt));
        var tooLong = Assert.Single(all, p => p.Reason.Contains("VIOLATED_CONSTRAINT"));
        Assert.Single(all, p => p.Reason.StartsWith("unparseable", StringComparison.Ordinal));
        Assert.Equal(3, all.Count(p => p.Reason == OldReason));

        // Only the tenant's admins see or replay them.
        var other = App.ClientFor("t-replay-other", Roles.Admin);
        Assert.Empty((await HistoryApi.JsonAsync<ParkedPage>(other, "/api/history/parked")).Parked);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/history/parked/{all[0].Id}/replay", null)).StatusCode);
        Assert.Equal(0, (await (await other.PostAsync("/api/history/parked/replay", null)).Content.ReadFromJsonAsync<ParkedReplayReport>(Web))!.Replayed);
        var supervisor = App.ClientFor(tenant, Roles.Supervisor);
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.GetAsync("/api/history/parked")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await supervisor.PostAsync($"/api/history/parked/{all[0].Id}/replay", null)).StatusCode);

        // One replayed: archived, off the list.
        var first = all.First(p => p.Reason == OldReason);
        var replayed = await admin.PostAsync($"/api/history/parked/{first.Id}/replay", null);
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal(1, (await replayed.Content.ReadFromJsonAsync<ParkedReplayReport>(Web))!.Replayed);
        Assert.DoesNotContain(await ListAllAsync(admin, pageSize: 100), p => p.Id == first.Id);

        // The bad one again: refused again, parked again with the new reason and time.
        var again = await admin.PostAsync($"/api/history/parked/{tooLong.Id}/replay", null);
        var problem = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Contains("VIOLATED_CONSTRAINT", problem.GetProperty("detail").GetString());
        var reparked = Assert.Single(await ListAllAsync(admin, pageSize: 100), p => p.Id == tooLong.Id);
        Assert.True(reparked.ParkedAt > tooLong.ParkedAt, $"parked at {reparked.ParkedAt:O}, before {tooLong.ParkedAt:O}");

        // The rest at once: the two good ones archived, the two bad ones still parked.
        var report = (await (await admin.PostAsync("/api/history/parked/replay", null)).Content.ReadFromJsonAsync<ParkedReplayReport>(Web))!;
        Assert.Equal(2, report.Replayed);
        Assert.Equal(2, report.StillParked.Count);
        var left = await ListAllAsync(admin, pageSize: 100);
        Assert.Equal(report.StillParked.Select(p => p.Id).Order(), left.Select(p => p.Id).Order());

        var page = await HistoryApi.JsonAsync<TranscriptPage>(admin, "/api/history/conversations/conv-r/messages");
        Assert.Equal([1L, 3L, 4L, 5L], page.Messages.Select(m => m.Seq));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/history/parked/{first.Id}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/history/parked/not-an-id/replay", null)).StatusCode);
    }

    [Fact]
    public async Task A_replay_while_the_store_takes_no_writes_is_a_503_and_leaves_the_message_parked_as_it_was()
    {
        const string tenant = "t-replay-down";
        var message = new HistoryData().Message(tenant, "conv-d", 1, ParticipantKind.Customer, "c", "parked but fine", DateTimeOffset.UtcNow);
        await ParkAsOfOldAsync([message], firstStreamSeq: 2_000_000);
        var admin = App.ClientFor(tenant, Roles.Admin);
        var parked = Assert.Single(await ListAllAsync(admin, pageSize: 10));

        await App.Store.Database.ExecuteAsync($"ALTER TABLE {App.Store.Schema.Messages} MODIFY SETTING table_readonly = 1", null, default);
        try
        {
            var response = await admin.PostAsync($"/api/history/parked/{parked.Id}/replay", null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(parked, Assert.Single(await ListAllAsync(admin, pageSize: 10)));
        }
        finally
        {
            await App.Store.Database.ExecuteAsync($"ALTER TABLE {App.Store.Schema.Messages} MODIFY SETTING table_readonly = 0", null, default);
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/history/parked/{parked.Id}/replay", null)).StatusCode);
        Assert.Empty(await ListAllAsync(admin, pageSize: 10));
    }

    /// <summary>Parks good messages the way the archive did before transient store errors were told apart: refused, acked, parked.</summary>
    private async Task ParkAsOfOldAsync(IReadOnlyList<ChatMessage> messages, ulong firstStreamSeq)
    {
        var parking = App.Services.GetRequiredService<ParkingLot>();
        await App.Store.ReadyAsync(default);
        await parking.ParkAsync(messages.Select((m, i) => new ParkedMessage(ChatStreams.Messages, Subjects.Message(m.TenantId, m.ConversationId),
            firstStreamSeq + (ulong)i, OldReason, m.ToByteArray())).ToList(), default);
    }

    private static async Task<List<ParkedView>> ListAllAsync(HttpClient client, int pageSize)
    {
        var all = new List<ParkedView>();
        string? before = null;
        do
        {
            var page = await HistoryApi.JsonAsync<ParkedPage>(client,
                $"/api/history/parked?limit={pageSize}" + (before is null ? "" : "&before=" + Uri.EscapeDataString(before)));
            Assert.True(page.Parked.Count <= pageSize);
            all.AddRange(page.Parked);
            before = page.NextBefore;
        } while (before is not null);
        return all;
    }

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
}
