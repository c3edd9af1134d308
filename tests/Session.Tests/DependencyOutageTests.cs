using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.TestInfrastructure;

namespace CustomerService.Session.Tests;

/// <summary>
/// NATS going away under a conversation: the sender gets a retryable "unavailable" error (not "internal"), the socket
/// stays usable, and the same frame sent again once NATS is back is stored once.
/// </summary>
public sealed class DependencyOutageTests
{
    [Fact]
    public async Task A_message_sent_while_NATS_is_down_is_refused_as_unavailable_and_the_resend_is_stored_once()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Session:DurablePublishTimeout"] = "00:00:02",
        });
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
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await customer.SendAsync(new { type = "message", clientId = "m1", text = "are you there?", conversationId = conversation.Id });
            var answer = await customer.NextAsync("ack", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == "m1")
                .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
            if (answer is not null) { Assert.Equal(1, (long?)answer["seq"]); break; }
            Assert.True(DateTime.UtcNow < deadline, "no ack within 30 s of NATS coming back");
        }
    }
}
