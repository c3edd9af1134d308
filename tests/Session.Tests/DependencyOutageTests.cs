using System.Net;
using System.Net.WebSockets;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.TestInfrastructure;
using StackExchange.Redis;

namespace CustomerService.Session.Tests;

/// <summary>
/// NATS going away under a conversation: the sender gets a retryable "unavailable" error (not "internal"), the socket
/// stays usable, and the same frame sent again once NATS is back is stored once; a conversation whose opening frame
/// failed is routed when that frame is resent.
/// </summary>
public sealed class DependencyOutageTests
{
    [Fact]
    public async Task A_message_sent_while_NATS_is_down_is_refused_as_unavailable_and_the_resend_is_stored_once()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionWithShortPublishTimeoutAsync(nats, redis);
        const string tenant = "outage";
        var (conversation, customer) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;

        await nats.StopAsync();
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "are you there?", conversationId = conversation.Id });
        var refused = await customer.NextAsync("error", TimeSpan.FromSeconds(30));
        Assert.Equal("unavailable", (string?)refused["code"]);
        Assert.Equal("m1", (string?)refused["clientId"]);

        await nats.StartAgainAsync();
        await customer.SendAsync(new { type = "ping" });
        await customer.NextAsync("pong");
        var resend = new { type = "message", clientId = "m1", text = "are you there?", conversationId = conversation.Id };
        var ack = await customer.SendUntilAckedAsync(resend, "m1", "an ack once NATS is back", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        Assert.Equal(1, (long?)ack["seq"]);
    }

    [Fact]
    public async Task A_conversation_whose_opening_message_failed_is_routed_when_the_customer_resends_it()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionWithShortPublishTimeoutAsync(nats, redis);
        await using var customer = await host.ConnectAsync("outage-open", "v1", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");

        await nats.StopAsync();
        await customer.SendAsync(new { type = "message", clientId = "open-1", text = "hello, anyone?" });
        Assert.Equal("unavailable", (string?)(await customer.NextAsync("error", TimeSpan.FromSeconds(30)))["code"]);
        await nats.StartAgainAsync();

        var ack = await customer.SendUntilAckedAsync(new { type = "message", clientId = "open-1", text = "hello, anyone?" },
            "open-1", "an ack once NATS is back", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        // No Routing runs here, so routing it means the queue (where the queue watcher asks Routing again): not "new" for good.
        await customer.NextAsync("state", TimeSpan.FromSeconds(15), f => (string?)f["state"] == "queued");
        var conversation = await host.Get<ConversationStore>().GetAsync("outage-open", (string)ack["conversationId"]!);
        Assert.Equal(ConversationStates.Queued, conversation!.State);
    }

    /// <summary>Session giving up on a JetStream publish after 2 s, so NATS's absence shows quickly.</summary>
    [Fact]
    public async Task A_replica_that_does_not_listen_to_deliveries_yet_refuses_sockets_with_503_and_takes_them_once_it_does()
    {
        await using var nats = NatsServer.Reserve();   // NATS not up yet: the replica cannot subscribe
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString, listening: false);

        using var early = new ClientWebSocket();
        early.Options.CollectHttpResponseDetails = true;
        TestIdentity.SetIdentity(early.Options, "starting", "v1", Roles.Visitor, "v1");
        await Assert.ThrowsAsync<WebSocketException>(() => early.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws/customer"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.HttpStatusCode);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Port}") };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health")).StatusCode);

        await nats.StartAgainAsync();
        await Eventually.UntilAsync(() => host.Get<Messaging.DeliveryReadiness>().Ready, "listening once NATS is up", TimeSpan.FromSeconds(30));
        await using var customer = await host.ConnectAsync("starting", "v1", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");
    }

    /// <summary>
    /// Redis going away between a message's publish and its append to the latest messages (seen under load in the Redis
    /// restart drill): the message is stored and delivered, so the sender gets its ack, not an error that makes it resend,
    /// and once Redis is back a resume holds the message (put back from the stream).
    /// </summary>
    [Fact]
    public async Task A_message_stored_while_Redis_goes_away_is_acknowledged_and_a_resume_holds_it_once_Redis_is_back()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        const string tenant = "outage-recent";
        var (conversation, customer) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        await host.Get<ConversationStore>().AddAgentConversationAsync(tenant, "alice", conversation.Id);
        await using var alice = await host.ConnectAsync(tenant, "alice", Roles.Agent);
        await alice.SendAsync(new { type = "hello" });
        Assert.Single((await alice.NextAsync("welcome"))["conversations"]!.AsArray());
        await using var observer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

        // NATS frozen: the post is numbered in Redis and then waits for JetStream's answer.
        nats.Pause();
        try
        {
            await customer.SendAsync(new { type = "message", clientId = "m1", text = "the teapot is broken", conversationId = conversation.Id });
            await Eventually.UntilAsync(async () => await observer.GetDatabase().HashExistsAsync(ConversationStore.ClientIdsKey(tenant, conversation.Id), "m1"),
                "the message numbered", TimeSpan.FromSeconds(10));
            redis.Kill();
            await Eventually.UntilAsync(() => !host.Get<IConnectionMultiplexer>().IsConnected, "Session sees Redis gone", TimeSpan.FromSeconds(10));
        }
        finally { nats.Resume(); }

        var ack = await customer.NextAsync("ack", TimeSpan.FromSeconds(15), f => (string?)f["clientId"] == "m1");
        Assert.Equal(1, (long?)ack["seq"]);
        Assert.Equal("the teapot is broken", (string?)(await alice.NextAsync("message", TimeSpan.FromSeconds(10)))["text"]);
        Assert.Contains(host.Logs.All, l => l.Message.Contains("message 1 of") && l.Message.Contains("stored but not among Redis's latest messages"));

        await redis.StartAgainAsync();
        // A resume sent before Session's connection is back is answered "unavailable": asked again until answered.
        var resumed = await Eventually.GetAsync(async () =>
        {
            await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 0 });
            return await customer.NextAsync("conversation", TimeSpan.FromSeconds(3));
        }, _ => true, "a resume answered once Redis is back", TimeSpan.FromSeconds(30), notYet: e => e is TimeoutException);
        Assert.Equal(1, (long?)resumed["lastSeq"]);
        Assert.Equal(["the teapot is broken"], resumed["messages"]!.AsArray().Select(m => (string?)m!["text"]));
    }

    private static Task<SessionHost> SessionWithShortPublishTimeoutAsync(NatsServer nats, RedisServer redis) =>
        SessionHost.StartAsync(nats.Url, redis.ConnectionString, new Dictionary<string, string?> { ["Session:DurablePublishTimeout"] = "00:00:02" });
}
