using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using CustomerService.Webhooks.Delivery;
using Xunit;
using static CustomerService.Webhooks.Tests.WebhookFixture;

namespace CustomerService.Webhooks.Tests;

[Collection(WebhookCollection.Name)]
public sealed class DeliveryTests(WebhookFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task A_receiver_that_fails_the_first_attempts_still_gets_every_event_once_by_delivery_id_and_signed()
    {
        var tenant = NewTenant("t-retry");
        var hook = "retry-" + tenant;
        fixture.Receiver.FailFirst(hook, failures: 2, status: 500);
        using var api = fixture.Host.Api(tenant);
        var (webhookId, secret) = await RegisterAsync(api, fixture.Receiver.Url(hook),
            "conversation_created", "conversation_status_changed", "conversation_updated", "message_created");

        var conversation = "c-" + Guid.NewGuid().ToString("N")[..8];
        var started = Event(tenant, conversation, ConversationState.Queued, e => e.Started = new ConversationStarted
        {
            Customer = new Participant { Kind = ParticipantKind.Customer, Id = "v-1" }, EntryPage = "/shop", Language = "zh-CN", SkillGroup = "general",
        });
        var assigned = Event(tenant, conversation, ConversationState.Assigned, e => e.Assigned = new AgentAssigned
        {
            AgentId = "agent-7", AgentName = "Alice", SkillGroup = "general",
        });
        var messages = Enumerable.Range(1, 3).Select(i => Message(tenant, conversation, i, $"消息 {i} \"quoted\"", i == 2 ? ParticipantKind.Agent : ParticipantKind.Customer)).ToArray();
        var ended = Event(tenant, conversation, ConversationState.Ended, e => e.Ended = new ConversationEnded { EndedBy = "agent-7", Reason = "resolved" });
        await fixture.PublishAsync(started);
        await fixture.PublishAsync(assigned);
        foreach (var m in messages) await fixture.PublishAsync(m);
        await fixture.PublishAsync(ended);

        // What must arrive: (event, what caused it).
        var expected = new HashSet<(string, string)>
        {
            ("conversation_created", started.EventId),
            ("conversation_status_changed", assigned.EventId),
            ("conversation_updated", assigned.EventId),
            ("conversation_status_changed", ended.EventId),
        };
        foreach (var m in messages) expected.Add(("message_created", m.MessageId));

        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Count(r => r.Status == 200) >= expected.Count, "every event delivered", Patience,
            context: () => $"only {fixture.Receiver.At(hook).Count(r => r.Status == 200)} of {expected.Count} delivered");
        await Task.Delay(300); // absence: anything sent twice would show now; nothing else would signal it
        var seen = fixture.Receiver.At(hook);
        var successes = seen.Where(r => r.Status == 200).ToArray();

        // Once each by delivery id, and together exactly the expected events.
        Assert.Equal(expected.Count, successes.Length);
        Assert.Equal(expected.Count, successes.Select(r => r.DeliveryId).Distinct().Count());
        var arrived = successes.Select(r =>
        {
            using var body = JsonDocument.Parse(r.Body);
            var root = body.RootElement;
            string cause = root.TryGetProperty("message", out var message)
                ? message.GetProperty("id").GetString()!
                : root.GetProperty("conversation_event").GetProperty("id").GetString()!;
            return (root.GetProperty("event").GetString()!, cause);
        }).ToHashSet();
        Assert.Equal(expected, arrived);

        foreach (var attempts in seen.GroupBy(r => r.DeliveryId))
        {
            // Two failures, then the success: three attempts with the same body, numbered, with growing pauses.
            var tries = attempts.OrderBy(r => r.At).ToArray();
            Assert.Equal([500, 500, 200], tries.Select(r => r.Status));
            Assert.Equal(["1", "2", "3"], tries.Select(r => r.Attempt));
            Assert.All(tries, r => Assert.Equal(tries[0].Text, r.Text));
            Assert.True(tries[1].At - tries[0].At >= BaseDelay * (1 - Jitter) - TimeSpan.FromMilliseconds(5), $"first pause {(tries[1].At - tries[0].At).TotalMilliseconds} ms");
            Assert.True(tries[2].At - tries[1].At >= BaseDelay * 2 * (1 - Jitter) - TimeSpan.FromMilliseconds(5), $"second pause {(tries[2].At - tries[1].At).TotalMilliseconds} ms");
        }

        foreach (var r in seen)
        {
            // Signed with the webhook's secret over "{timestamp}.{body}"; another secret does not verify.
            Assert.True(WebhookSignature.Verify(secret, r.Timestamp, r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), r.Signature);
            Assert.False(WebhookSignature.Verify(WebhookStoreSecret(), r.Timestamp, r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
            Assert.Matches("^sha256=[0-9a-f]{64}$", r.Signature!);
            // As docs/webhooks.md tells receivers to check it, independently of the service's code.
            var mac = System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret),
                (byte[])[.. System.Text.Encoding.UTF8.GetBytes(r.Timestamp + "."), .. r.Body]);
            Assert.Equal("sha256=" + Convert.ToHexStringLower(mac), r.Signature);
            Assert.InRange(long.Parse(r.Timestamp!), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            Assert.StartsWith("application/json", r.ContentType);
            using var body = JsonDocument.Parse(r.Body);
            Assert.Equal(r.DeliveryId, body.RootElement.GetProperty("delivery_id").GetString());
            Assert.Equal(r.Event, body.RootElement.GetProperty("event").GetString());
            Assert.Equal(tenant, body.RootElement.GetProperty("tenant").GetString());
            Assert.Equal(conversation, body.RootElement.GetProperty("conversation").GetProperty("id").GetString());
        }
        // A tampered body or an old timestamp does not verify either.
        var one = successes[0];
        Assert.False(WebhookSignature.Verify(secret, one.Timestamp, one.Signature, [.. one.Body, (byte)' '], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(secret, one.Timestamp, one.Signature, one.Body, DateTimeOffset.UtcNow.AddMinutes(10), TimeSpan.FromMinutes(5)));

        // The payloads carry what the events said.
        var updated = JsonDocument.Parse(successes.Single(r => r.Event == "conversation_updated").Body).RootElement;
        Assert.Equal("agent-7", updated.GetProperty("conversation").GetProperty("assignee_id").GetString());
        Assert.Equal("assigned", updated.GetProperty("conversation").GetProperty("status").GetString());
        Assert.Equal("Alice", updated.GetProperty("conversation_event").GetProperty("details").GetProperty("agent_name").GetString());
        Assert.Equal("assignee_id", updated.GetProperty("changed_attributes")[0].GetString());
        var second = successes.Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Single(b => b.TryGetProperty("message", out var m) && m.GetProperty("id").GetString() == messages[1].MessageId);
        Assert.Equal("消息 2 \"quoted\"", second.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal("agent", second.GetProperty("message").GetProperty("sender").GetProperty("type").GetString());
        Assert.Equal("outgoing", second.GetProperty("message").GetProperty("message_type").GetString());
        Assert.Equal(2, second.GetProperty("message").GetProperty("seq").GetInt64());

        // The API says the same: every delivery of the webhook delivered after three attempts.
        var deliveries = await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/deliveries?webhook_id={webhookId}");
        Assert.Equal(expected.Count, deliveries.GetArrayLength());
        Assert.All(deliveries.EnumerateArray(), d =>
        {
            Assert.Equal("delivered", d.GetProperty("state").GetString());
            Assert.Equal(3, d.GetProperty("attempts").GetInt32());
            Assert.Equal(200, d.GetProperty("last_status").GetInt32());
        });
    }

    private static string WebhookStoreSecret() => Registrations.WebhookStore.NewSecret();

    [Fact]
    public async Task Dead_letters_appear_after_the_retry_budget_and_replay_delivers_them_with_the_same_delivery_id()
    {
        var tenant = NewTenant("t-dead");
        var hook = "dead-" + tenant;
        fixture.Receiver.Answer(hook, 503);
        using var api = fixture.Host.Api(tenant);
        var (webhookId, _) = await RegisterAsync(api, fixture.Receiver.Url(hook), "message_created");

        var conversation = "c-" + Guid.NewGuid().ToString("N")[..8];
        // Not subscribed: makes no delivery.
        await fixture.PublishAsync(Event(tenant, conversation, ConversationState.New, e => e.Started = new ConversationStarted()));
        var first = Message(tenant, conversation, 1, "first");
        var second = Message(tenant, conversation, 2, "second");
        await fixture.PublishAsync(first);
        await fixture.PublishAsync(second);

        JsonElement dead = default;
        await Eventually.UntilAsync(async () =>
        {
            dead = await api.GetFromJsonAsync<JsonElement>("/api/admin/webhooks/dead-letters");
            return dead.GetArrayLength() == 2;
        }, "two dead letters", Patience, context: () => dead.ToString());
        Assert.All(dead.EnumerateArray(), d =>
        {
            Assert.Equal("dead", d.GetProperty("state").GetString());
            Assert.Equal(MaxAttempts, d.GetProperty("attempts").GetInt32());
            Assert.Equal(503, d.GetProperty("last_status").GetInt32());
            Assert.Contains("503", d.GetProperty("last_error").GetString());
            Assert.Equal(webhookId, d.GetProperty("webhook_id").GetGuid());
            Assert.Equal("message_created", d.GetProperty("event").GetString());
        });
        var ids = dead.EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToArray();
        // Exactly the budget, then nothing more (absence: an attempt past the budget would come within 500 ms).
        await Task.Delay(500);
        Assert.Equal(2 * MaxAttempts, fixture.Receiver.At(hook).Count);
        Assert.All(ids, id => Assert.Equal(MaxAttempts, fixture.Receiver.At(hook).Count(r => r.DeliveryId == id)));
        Assert.Equal(2, (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/deliveries?webhook_id={webhookId}")).GetArrayLength());

        // The receiver is fixed; one dead letter replayed alone, the other with "replay all".
        fixture.Receiver.Answer(hook, 200);
        using (var replay = await api.PostAsync($"/api/admin/webhooks/deliveries/{ids[0]}/replay", null))
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Any(r => r.DeliveryId == ids[0] && r.Status == 200),
            "the dead letter replayed alone delivered", Patience);
        using (var replayAll = await api.PostAsync("/api/admin/webhooks/dead-letters/replay", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, replayAll.StatusCode);
            Assert.Equal(1, (await replayAll.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetInt32());
        }
        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Any(r => r.DeliveryId == ids[1] && r.Status == 200),
            "the other dead letter delivered", Patience);

        Assert.Equal(0, (await api.GetFromJsonAsync<JsonElement>("/api/admin/webhooks/dead-letters")).GetArrayLength());
        await Eventually.UntilAsync(async () =>
        {
            var one = await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/deliveries/{ids[0]}");
            return one.GetProperty("state").GetString() == "delivered";
        }, "the replayed delivery recorded as delivered", Patience);
        var delivered = await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/deliveries/{ids[0]}");
        Assert.Equal(1, delivered.GetProperty("attempts").GetInt32());
        Assert.Contains(ids[0], delivered.GetProperty("body").GetString());
        var texts = fixture.Receiver.At(hook).Where(r => r.Status == 200)
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("message").GetProperty("text").GetString()!).Order().ToArray();
        Assert.Equal(["first", "second"], texts);

        // A pending delivery cannot be replayed; a delivered one can be discarded only once dead.
        using (var discard = await api.DeleteAsync($"/api/admin/webhooks/deliveries/{ids[0]}"))
            Assert.Equal(HttpStatusCode.Conflict, discard.StatusCode);
    }

    [Fact]
    public async Task A_stream_message_delivered_again_makes_no_second_delivery()
    {
        var tenant = NewTenant("t-dup");
        var hook = "dup-" + tenant;
        using var api = fixture.Host.Api(tenant);
        var (webhookId, _) = await RegisterAsync(api, fixture.Receiver.Url(hook), "message_created");
        var conversation = "c-" + Guid.NewGuid().ToString("N")[..8];
        var message = Message(tenant, conversation, 1, "once");
        // Stored twice by JetStream (different Nats-Msg-Id): the consumer sees it twice, as after a redelivery.
        await fixture.PublishAsync(message, msgId: "a-" + message.MessageId);
        await fixture.PublishAsync(message, msgId: "b-" + message.MessageId);
        var marker = Message(tenant, conversation, 2, "marker");
        await fixture.PublishAsync(marker);

        // The consumer reads in stream order: once the marker is delivered, the second copy has been handled.
        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Any(r => r.Text.Contains(marker.MessageId)), "the marker delivered", Patience);
        await Task.Delay(200); // absence: a second delivery of the copy, sent beside the marker's, would arrive within this
        Assert.Single(fixture.Receiver.At(hook), r => r.Text.Contains(message.MessageId));
        Assert.Equal(2, (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/deliveries?webhook_id={webhookId}")).GetArrayLength());
    }

    [Fact]
    public async Task Events_published_while_the_service_is_down_are_delivered_when_it_starts_again()
    {
        var database = await fixture.CreateDatabaseAsync("webhookdb_restart");
        var settings = fixture.Settings(database, "webhooks-restart");
        var tenant = NewTenant("t-restart");
        var hook = "restart-" + tenant;
        var conversation = "c-" + Guid.NewGuid().ToString("N")[..8];
        var messages = Enumerable.Range(1, 5).Select(i => Message(tenant, conversation, i, $"while down {i}")).ToArray();

        await using (var first = await WebhooksHost.StartAsync(settings))
        {
            await fixture.WaitForConsumersAsync("webhooks-restart");
            using var api = first.Api(tenant);
            await RegisterAsync(api, fixture.Receiver.Url(hook), "message_created");
            await first.StopAsync();
        }
        foreach (var m in messages) await fixture.PublishAsync(m);
        await Task.Delay(300); // absence: with the service down nothing may be delivered; nothing would signal a delivery
        Assert.Empty(fixture.Receiver.At(hook));

        await using var second = await WebhooksHost.StartAsync(settings);
        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Count >= messages.Length, "every message delivered", Patience);
        await Task.Delay(200); // absence: a message delivered twice would arrive within this
        Assert.Equal(messages.Select(m => m.MessageId).Order(),
            fixture.Receiver.At(hook).Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("message").GetProperty("id").GetString()!).Order());
    }
}
