using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.TestInfrastructure;

namespace CustomerService.Session.Tests;

/// <summary>
/// The message path's one Redis step decides who may post: a stranger who knows a conversation's id, even with the
/// client id of a stored message, gets "forbidden", learns nothing of the stored message and does not start
/// following the conversation; a resend of the participant's own message is a duplicate with its first seq.
/// </summary>
public sealed class MessagePathTests
{
    [Fact]
    public async Task Only_participants_post_and_a_stranger_neither_reads_a_stored_message_nor_follows_the_conversation()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        const string tenant = "path";
        var (conversation, customer) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        await customer.SendAsync(new { type = "message", clientId = "secret-1", text = "my card number is 1234", conversationId = conversation.Id });
        Assert.Equal(1, (long?)(await customer.NextAsync("ack", TimeSpan.FromSeconds(10)))["seq"]);

        await using var stranger = await host.ConnectAsync(tenant, "v2", Roles.Visitor);
        await stranger.SendAsync(new { type = "hello" });
        await stranger.NextAsync("welcome");
        await stranger.SendAsync(new { type = "message", clientId = "secret-1", text = "x", conversationId = conversation.Id });
        var refused = await stranger.NextAsync("error", TimeSpan.FromSeconds(10));
        Assert.Equal("forbidden", (string?)refused["code"]);

        await using var otherAgent = await host.ConnectAsync(tenant, "bob", Roles.Agent);
        await otherAgent.SendAsync(new { type = "message", clientId = "b1", text = "hello?", conversationId = conversation.Id });
        Assert.Equal("forbidden", (string?)(await otherAgent.NextAsync("error", TimeSpan.FromSeconds(10)))["code"]);

        // The participant's resend is the same message; a new one reaches the customer but not the stranger.
        await customer.SendAsync(new { type = "message", clientId = "secret-1", text = "my card number is 1234", conversationId = conversation.Id });
        var again = await customer.NextAsync("ack", TimeSpan.FromSeconds(10));
        Assert.Equal(1, (long?)again["seq"]);
        Assert.True((bool?)again["duplicate"]);
        await customer.SendAsync(new { type = "message", clientId = "m2", text = "second", conversationId = conversation.Id });
        Assert.Equal(2, (long?)(await customer.NextAsync("ack", TimeSpan.FromSeconds(10)))["seq"]);
        // The delivery of one's own message may come before or after its ack.
        if (!customer.Seen.Any(f => (string?)f["type"] == "message" && (string?)f["clientId"] == "m2"))
            await customer.NextAsync("message", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == "m2");
        await stranger.SendAsync(new { type = "ping" });
        await stranger.NextAsync("pong", TimeSpan.FromSeconds(10));
        stranger.Pending();
        Assert.DoesNotContain(stranger.Seen, f => (string?)f["type"] is "message" or "ack" or "conversation");
        Assert.DoesNotContain(stranger.Seen, f => f.ToJsonString().Contains("card number"));
    }
}
