using System.Net.WebSockets;
using CustomerService.Contracts;
using CustomerService.Session.Sockets;
using CustomerService.TestInfrastructure;

namespace CustomerService.Session.Tests;

/// <summary>
/// A hello with <c>"echo": false</c>: the socket's own messages come back only as acks (one frame fewer per message on
/// the busiest path), while every other participant, the sender's other sockets included, still gets them, and a
/// message stored differently from what was sent (masked, flagged, merged) still comes back to its sender.
/// </summary>
public sealed class EchoTests
{
    [Fact]
    public async Task A_socket_with_echo_off_gets_its_own_messages_as_acks_only_and_everyone_else_gets_them()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        const string tenant = "echo";
        var (conversation, otherTab) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = otherTab;
        await host.Get<Conversations.ConversationStore>().AddAgentConversationAsync(tenant, "alice", conversation.Id);
        await using var alice = await host.ConnectAsync(tenant, "alice", Roles.Agent);
        await alice.SendAsync(new { type = "hello" });
        await alice.NextAsync("welcome");
        await using var quiet = await host.ConnectAsync(tenant, "v1", Roles.Visitor);
        await quiet.SendAsync(new { type = "hello", echo = false });
        await quiet.NextAsync("welcome");

        for (int i = 1; i <= 3; i++)
        {
            await quiet.SendAsync(new { type = "message", clientId = $"q{i}", text = $"from the quiet tab {i}", conversationId = conversation.Id });
            Assert.Equal(i, (long?)(await quiet.NextAsync("ack", TimeSpan.FromSeconds(10)))["seq"]);
            await alice.NextAsync("message", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == $"q{i}");
            await otherTab.NextAsync("message", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == $"q{i}");
        }
        // Echo off hides only the socket's own messages: the agent's reply reaches it.
        await alice.SendAsync(new { type = "message", clientId = "a1", text = "how can I help?", conversationId = conversation.Id });
        await quiet.NextAsync("message", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == "a1");
        // A frame after the last delivery: anything sent to the socket before it has been read by now.
        await quiet.SendAsync(new { type = "ping" });
        await quiet.NextAsync("pong", TimeSpan.FromSeconds(10));
        quiet.Pending();
        Assert.DoesNotContain(quiet.Seen, f => (string?)f["type"] == "message" && ((string?)f["clientId"])!.StartsWith('q'));
        // The tab with echo on (the default) gets its own message back, as before.
        await otherTab.SendAsync(new { type = "message", clientId = "t1", text = "from the other tab", conversationId = conversation.Id });
        await otherTab.NextAsync("message", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == "t1");
    }

    [Fact]
    public void A_message_stored_differently_from_what_was_sent_still_comes_back_to_its_sender()
    {
        var connection = new ClientConnection(WebSocket.CreateFromStream(new MemoryStream(), new WebSocketCreationOptions { IsServer = true }),
            new Identity("t", "v1", Roles.Visitor, "Visitor", []), outboxFrames: 8) { EchoOwnMessages = false };
        ChatMessage Stored(string clientId, string text, string sender = "v1") =>
            new() { MessageId = clientId, Text = text, Sender = new Participant { Kind = ParticipantKind.Customer, Id = sender } };

        connection.Posting("c1", "my order 123");
        Assert.True(connection.IsOwnEcho(Stored("c1", "my order 123")));
        Assert.False(connection.IsOwnEcho(Stored("c1", "my order 123")), "one echo per post");

        connection.Posting("c2", "damn it");
        Assert.False(connection.IsOwnEcho(Stored("c2", "**** it")), "masked: the sender must see what was stored");

        connection.Posting("c3", "where is it?");
        var flagged = Stored("c3", "where is it?");
        flagged.Metadata["risk.flagged"] = "true";
        Assert.False(connection.IsOwnEcho(flagged));

        connection.Posting("c4", "hello");
        Assert.False(connection.IsOwnEcho(Stored("c4", "hello", sender: "v2")), "another sender's message with the same client id");

        connection.Posting("c5", "failed");
        connection.Posted("c5");
        Assert.False(connection.IsOwnEcho(Stored("c5", "failed")), "a failed post or a resend is delivered as usual");

        var echoing = new ClientConnection(WebSocket.CreateFromStream(new MemoryStream(), new WebSocketCreationOptions { IsServer = true }),
            new Identity("t", "v1", Roles.Visitor, "Visitor", []), outboxFrames: 8);
        echoing.Posting("c6", "hi");
        Assert.False(echoing.IsOwnEcho(Stored("c6", "hi")), "echo is on unless the hello turned it off");
    }
}
