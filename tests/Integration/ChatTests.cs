using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using NATS.Client.Core;

namespace CustomerService.Integration;

/// <summary>The live chat path through the gateway: real sockets, real Session, Routing, NATS and Redis.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ChatTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly TestSockets _sockets = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Every test leaves a clean slate for the next (<see cref="TestSockets"/>).</summary>
    public async Task DisposeAsync() => await _sockets.DisposeAsync();

    private Task<ChatClient> OnlineAgentAsync(string login, string password) => _sockets.OnlineAgentAsync(login, password);

    private Task<(ChatClient Socket, string VisitorId, string Token)> CustomerAsync(string? visitorSecret = null) => _sockets.CustomerAsync(visitorSecret);

    private static string Id() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_customer_and_an_agent_talk_both_ways_and_every_state_change_is_an_event_on_NATS()
    {
        await using var nats = new NatsConnection(await platform.NatsOptsAsync("observer"));
        var events = new List<ConversationEvent>();
        using var listening = new CancellationTokenSource();
        var subscribed = new TaskCompletionSource();
        var listener = Task.Run(async () =>
        {
            await using var sub = await nats.SubscribeCoreAsync<byte[]>($"cs.conv.{Accounts.Tenant}.>", cancellationToken: listening.Token);
            subscribed.SetResult();
            try
            {
                await foreach (var msg in sub.Msgs.ReadAllAsync(listening.Token))
                    lock (events) events.Add(ConversationEvent.Parser.ParseFrom(msg.Data));
            }
            catch (OperationCanceledException) { }
        });
        await subscribed.Task;

        var alice = await OnlineAgentAsync("alice", "alice123");
        var (customer, visitorId, _) = await CustomerAsync();

        await customer.SendAsync(new { type = "message", clientId = "hello-1", text = "我的订单还没到 (my order has not arrived)", entryPage = "/orders" });
        var ack = await customer.ExpectAsync("ack");
        var conversationId = (string)ack["conversationId"]!;
        Assert.Equal(1, (long)ack["seq"]!);

        var assignedToAlice = await alice.ExpectAsync("conversation", f => (string?)f["conversationId"] == conversationId);
        Assert.Equal(visitorId, (string)assignedToAlice["customer"]!["id"]!);
        Assert.Contains(assignedToAlice["messages"]!.AsArray(), m => (string?)m!["text"] == "我的订单还没到 (my order has not arrived)");
        var assigned = await customer.ExpectAsync("assigned", f => (string?)f["conversationId"] == conversationId);
        Assert.Equal("Alice", (string)assigned["agent"]!["name"]!);

        await alice.SendAsync(new { type = "message", conversationId, clientId = "reply-1", text = "您好，我来查一下 (let me check)" });
        Assert.Equal(2, (long)(await alice.ExpectAsync("ack"))["seq"]!);
        var reply = await customer.ExpectAsync("message", f => (string?)f["clientId"] == "reply-1");
        Assert.Equal("agent", (string)reply["sender"]!["kind"]!);
        Assert.Equal(2, (long)reply["seq"]!);

        await customer.SendAsync(new { type = "typing", conversationId, on = true });
        var typing = await alice.ExpectAsync("typing", f => (string?)f["conversationId"] == conversationId);
        Assert.Equal(visitorId, (string)typing["sender"]!["id"]!);
        await customer.SendAsync(new { type = "read", conversationId, seq = 2 });
        Assert.Equal(2, (long)(await alice.ExpectAsync("read"))["seq"]!);

        await alice.SendAsync(new { type = "end", conversationId, reason = "resolved" });
        var ended = await customer.ExpectAsync("state", f => (string?)f["state"] == "ended");
        Assert.Equal(conversationId, (string)ended["conversationId"]!);

        await Eventually.UntilAsync(() => { lock (events) return events.Any(e => e.ConversationId == conversationId && e.State == ConversationState.Ended); },
            $"the event of {conversationId} ending on the events stream", ChatClient.Patience,
            context: () => { lock (events) return "its events: " + string.Join(", ", events.Where(e => e.ConversationId == conversationId).Select(e => e.KindCase)); });
        listening.Cancel();
        await listener;
        var kinds = events.Where(e => e.ConversationId == conversationId).Select(e => e.KindCase).ToList();
        Assert.Equal(
            [ConversationEvent.KindOneofCase.Started, ConversationEvent.KindOneofCase.Assigned,
             ConversationEvent.KindOneofCase.Activated, ConversationEvent.KindOneofCase.Ended], kinds);
    }

    [Fact]
    public async Task A_customer_waits_in_the_queue_with_a_position_until_an_agent_comes_online()
    {
        var (customer, _, _) = await CustomerAsync();
        await customer.SendAsync(new { type = "message", clientId = Id(), text = "anyone there?" });
        var conversationId = (string)(await customer.ExpectAsync("ack"))["conversationId"]!;
        var queued = await customer.ExpectAsync("queue", f => (string?)f["conversationId"] == conversationId);
        Assert.True((int)queued["position"]! >= 1, queued.ToJsonString());

        var bob = await OnlineAgentAsync("bob", "bob123");
        var assigned = await bob.ExpectAsync("conversation", f => (string?)f["conversationId"] == conversationId);
        // While it waited, Session preloaded the customer's context from the CRM and order-system adapters.
        Assert.Equal("live", (string?)assigned["context"]?["profile"]?["status"]);
        Assert.Equal("live", (string?)assigned["context"]?["orders"]?["status"]);
        Assert.Equal("Bob", (string)(await customer.ExpectAsync("assigned"))["agent"]!["name"]!);
    }

    [Fact]
    public async Task A_dropped_socket_resumes_from_its_last_seq_with_no_gap_and_no_duplicate()
    {
        var alice = await OnlineAgentAsync("alice", "alice123");
        var (customer, visitorId, token) = await CustomerAsync();
        string conversationId = "";
        for (int i = 1; i <= 3; i++)
        {
            await customer.SendAsync(new { type = "message", conversationId = i == 1 ? null : conversationId, clientId = $"c{i}", text = $"message {i}" });
            var ack = await customer.ExpectAsync("ack", f => (string?)f["clientId"] == $"c{i}");
            conversationId = (string)ack["conversationId"]!;
            Assert.Equal(i, (long)ack["seq"]!);
        }
        var atAssignment = await alice.ExpectAsync("conversation", f => (string?)f["conversationId"] == conversationId);
        if (!atAssignment["messages"]!.AsArray().Any(m => (string?)m!["clientId"] == "c3"))
            await alice.ExpectAsync("message", f => (string?)f["clientId"] == "c3"); // arrived after the assignment

        customer.Abort();
        for (int i = 1; i <= 2; i++)
        {
            await alice.SendAsync(new { type = "message", conversationId, clientId = $"a{i}", text = $"while you were away {i}" });
            await alice.ExpectAsync("ack", f => (string?)f["clientId"] == $"a{i}");
        }

        var back = await platform.CustomerSocketAsync(token);
        _sockets.Add(back);
        await back.SendAsync(new { type = "resume", conversationId, lastSeq = 3 });
        var missed = await back.ExpectAsync("conversation");
        var seqs = missed["messages"]!.AsArray().Select(m => (long)m!["seq"]!).ToArray();
        Assert.Equal([4L, 5L], seqs);

        // The assignment's snapshot and live delivery may overlap (c3 in both; clients keep one per seq): what follows
        // asserts that the resend delivers nothing new, so what alice has received so far is set aside first.
        Assert.DoesNotContain(await alice.CollectAsync("message", TimeSpan.FromMilliseconds(300)), m => (string?)m["clientId"] is "c6");
        // The ack of message 3 was lost, say: the widget sends it again with the same client id.
        await back.SendAsync(new { type = "message", conversationId, clientId = "c3", text = "message 3" });
        var again = await back.ExpectAsync("ack", f => (string?)f["clientId"] == "c3");
        Assert.Equal(3, (long)again["seq"]!);
        Assert.True((bool)again["duplicate"]!);

        await back.SendAsync(new { type = "message", conversationId, clientId = "c6", text = "message 6" });
        Assert.Equal(6, (long)(await back.ExpectAsync("ack", f => (string?)f["clientId"] == "c6"))["seq"]!);
        var atAgent = await alice.CollectAsync("message", TimeSpan.FromSeconds(1));
        Assert.Single(atAgent, m => (string?)m["clientId"] == "c6");
        Assert.DoesNotContain(atAgent, m => (string?)m["clientId"] == "c3");

        // A fresh hello shows the whole conversation once, in order.
        var fresh = await platform.CustomerSocketAsync(token);
        _sockets.Add(fresh);
        await fresh.SendAsync(new { type = "hello" });
        var welcome = await fresh.ExpectAsync("welcome");
        var all = welcome["conversations"]!.AsArray().Single(c => (string?)c!["conversationId"] == conversationId)!["messages"]!.AsArray()
            .Select(m => (long)m!["seq"]!).ToArray();
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], all);
        Assert.Equal(visitorId, (string)welcome["userId"]!);
    }

    [Fact]
    public async Task Bad_frames_get_an_error_and_the_socket_keeps_working()
    {
        var (customer, _, _) = await CustomerAsync();
        await customer.SendRawAsync("{not json");
        Assert.Equal("malformed", (string)(await customer.ExpectAsync("error"))["code"]!);
        await customer.SendRawAsync("""{"type":"teleport"}""");
        Assert.Equal("unknown_type", (string)(await customer.ExpectAsync("error"))["code"]!);
        await customer.SendRawAsync($$"""{"type":"message","clientId":"big","text":"{{new string('x', 40_000)}}"}""");
        Assert.Equal("frame_too_large", (string)(await customer.ExpectAsync("error"))["code"]!);
        await customer.SendAsync(new { type = "message", clientId = "bad id!", text = "x" });
        Assert.Equal("invalid", (string)(await customer.ExpectAsync("error"))["code"]!);
        await customer.SendAsync(new { type = "message", conversationId = "someone-elses", clientId = Id(), text = "x" });
        Assert.Equal("not_found", (string)(await customer.ExpectAsync("error"))["code"]!);

        await customer.SendAsync(new { type = "ping" });
        await customer.ExpectAsync("pong");
        await customer.SendAsync(new { type = "message", clientId = "after-bad", text = "still here" });
        Assert.Equal(1, (long)(await customer.ExpectAsync("ack"))["seq"]!);
    }

    [Fact]
    public async Task Sockets_need_a_valid_token_of_the_right_role_and_spoofed_identity_headers_are_ignored()
    {
        var gateway = platform.Gateway().BaseAddress!;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ChatClient.ConnectAsync(gateway, "/ws/customer", ""));
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ChatClient.ConnectAsync(gateway, "/ws/customer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"));
        var (visitorToken, visitorId) = await platform.VisitorAsync();
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ChatClient.ConnectAsync(gateway, "/ws/agent", visitorToken));

        using var spoofing = new ClientWebSocket();
        spoofing.Options.SetRequestHeader(IdentityHeaders.User, "alice");
        spoofing.Options.SetRequestHeader(IdentityHeaders.Role, Roles.Admin);
        spoofing.Options.SetRequestHeader(IdentityHeaders.Tenant, "other-tenant");
        var uri = new UriBuilder(gateway) { Scheme = "ws", Path = "/ws/customer", Query = $"access_token={visitorToken}" }.Uri;
        await spoofing.ConnectAsync(uri, CancellationToken.None);
        await spoofing.SendAsync("""{"type":"hello"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64 * 1024];
        var result = await spoofing.ReceiveAsync(buffer, CancellationToken.None);
        var welcome = JsonNode.Parse(buffer.AsSpan(0, result.Count))!;
        Assert.Equal(visitorId, (string)welcome["userId"]!);
        Assert.Equal(Roles.Visitor, (string)welcome["role"]!);
        Assert.Equal(Accounts.Tenant, (string)welcome["tenant"]!);
    }

    [Fact]
    public async Task An_agent_transfers_a_conversation_to_another_agent_and_going_offline_requeues()
    {
        var alice = await OnlineAgentAsync("alice", "alice123");
        var (customer, _, _) = await CustomerAsync();
        await customer.SendAsync(new { type = "message", clientId = Id(), text = "I need the VIP desk" });
        var conversationId = (string)(await customer.ExpectAsync("ack"))["conversationId"]!;
        await alice.ExpectAsync("conversation", f => (string?)f["conversationId"] == conversationId);
        await customer.ExpectAsync("assigned", f => (string?)f["agent"]!["name"] == "Alice");

        var bob = await OnlineAgentAsync("bob", "bob123");
        var (_, bobId) = await platform.LoginAsync("bob", "bob123");
        await alice.SendAsync(new { type = "transfer", conversationId, toAgent = bobId });
        await bob.ExpectAsync("conversation", f => (string?)f["conversationId"] == conversationId);
        await customer.ExpectAsync("state", f => (string?)f["state"] == "transferred");
        await customer.ExpectAsync("assigned", f => (string?)f["agent"]!["name"] == "Bob");

        // Alice is out of the conversation: her message is refused.
        await alice.SendAsync(new { type = "message", conversationId, clientId = Id(), text = "still mine?" });
        Assert.Equal("forbidden", (string)(await alice.ExpectAsync("error"))["code"]!);

        // With nobody else online, Bob going offline puts the conversation back in the queue.
        await alice.SendAsync(new { type = "presence", status = "offline" });
        await alice.SendAsync(new { type = "ping" });
        await alice.ExpectAsync("pong");
        await bob.SendAsync(new { type = "presence", status = "offline" });
        await customer.ExpectAsync("state", f => (string?)f["state"] == "queued");
        await customer.ExpectAsync("queue", f => (int)f["position"]! >= 1);
    }

    [Fact]
    public async Task A_customer_and_an_agent_on_different_Session_replicas_still_talk()
    {
        var (token, _) = await platform.LoginAsync("alice", "alice123");
        var alice = await platform.AgentSocketAsync(token);
        _sockets.Add(alice, agent: true);
        await alice.SendAsync(new { type = "hello", status = "online" });
        var agentReplica = (string)(await alice.ExpectAsync("welcome"))["replica"]!;

        ChatClient? customer = null;
        for (int attempt = 0; attempt < 10 && customer is null; attempt++)
        {
            var (visitorToken, _) = await platform.VisitorAsync();
            var candidate = await platform.CustomerSocketAsync(visitorToken);
            _sockets.Add(candidate);
            await candidate.SendAsync(new { type = "hello" });
            if ((string)(await candidate.ExpectAsync("welcome"))["replica"]! != agentReplica) customer = candidate;
        }
        Assert.NotNull(customer); // the orchestrator spreads connections over both replicas

        await customer.SendAsync(new { type = "message", clientId = "across-1", text = "hello from the other replica" });
        var conversationId = (string)(await customer.ExpectAsync("ack"))["conversationId"]!;
        await alice.ExpectAsync("conversation", f => (string?)f["conversationId"] == conversationId);
        await alice.SendAsync(new { type = "message", conversationId, clientId = "across-2", text = "heard you" });
        Assert.Equal("heard you", (string)(await customer.ExpectAsync("message", f => (string?)f["clientId"] == "across-2"))["text"]!);
        await customer.SendAsync(new { type = "message", conversationId, clientId = "across-3", text = "great" });
        Assert.Equal(3, (long)(await alice.ExpectAsync("message", f => (string?)f["clientId"] == "across-3"))["seq"]!);
    }

    [Fact]
    public async Task An_account_the_admin_deactivated_is_signed_out_its_open_socket_closed_with_4401_and_its_token_refused()
    {
        var (adminToken, _) = await platform.LoginAsync("admin", "admin123");
        using var admin = platform.Gateway();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        var login = "leaver" + Id()[..8];
        var account = new { login, display_name = "Leaving Agent", password = "leaver-password-1", role = "agent", skill_groups = new[] { "general" }, active = true };
        using var created = await admin.PostAsJsonAsync("/api/admin/agents", account);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var id = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;
        var (token, _) = await platform.LoginAsync(login, "leaver-password-1");
        var agent = await platform.AgentSocketAsync(token);
        _sockets.Add(agent);
        await agent.SendAsync(new { type = "hello", status = "online" });
        await agent.ExpectAsync("welcome");

        using var deactivated = await admin.PutAsJsonAsync($"/api/admin/agents/{id}", account with { active = false });
        Assert.True(deactivated.IsSuccessStatusCode, await deactivated.Content.ReadAsStringAsync());

        // The revocation reaches Session through Redis within moments: the open socket is closed, with the code
        // that tells the console to sign in again; the token is refused from then on, and so is the password.
        await Eventually.UntilAsync(() => agent.CloseStatus is not null, "the deactivated agent's socket closed", ChatClient.Patience);
        Assert.Equal((WebSocketCloseStatus)4401, agent.CloseStatus);
        await Assert.ThrowsAnyAsync<WebSocketException>(() => platform.AgentSocketAsync(token));
        using var gateway = platform.Gateway();
        using var relogin = await gateway.PostAsJsonAsync("/api/auth/login", new { tenant = Accounts.Tenant, login, password = "leaver-password-1" });
        Assert.False(relogin.IsSuccessStatusCode, "a deactivated account signs in");

        // And it is offline at once, not after the grace a dropped console gets: with nobody else on duty a new
        // customer waits in the queue instead of being handed to the account that was just shut out (an agent another
        // test left online may take it from there).
        var (customer, _, _) = await CustomerAsync();
        await customer.SendAsync(new { type = "message", clientId = Id(), text = "is anyone still there?" });
        var conversationId = (string)(await customer.ExpectAsync("ack"))["conversationId"]!;
        await customer.ExpectAsync("queue", f => (string?)f["conversationId"] == conversationId);
        var handedTo = await customer.CollectAsync("assigned", TimeSpan.FromMilliseconds(500));
        Assert.False(handedTo.Any(f => (string?)f["agent"]?["id"] == id), string.Join("\n", handedTo.Select(f => f.ToJsonString())));
    }
}
