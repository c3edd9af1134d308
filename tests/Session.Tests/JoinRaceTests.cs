using System.Text.Json.Nodes;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Messaging;
using CustomerService.Session.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Session.Tests;

/// <summary>
/// A socket joining a conversation (an agent it is assigned or transferred to, an agent reconnecting, a customer
/// resuming) gets its snapshot and then live delivery. These tests make a customer's message fall exactly between the
/// two on purpose: the join is held, the message is numbered, stored in JetStream and delivered by this replica to the
/// sockets already in the conversation, while its poster has not yet added it to the conversation's latest messages in
/// Redis (that append follows the publish's ack; it lands late under load, and not at all after a Redis blip). Then
/// the join goes on. The joining socket must get the message once: in its snapshot or live.
/// </summary>
public sealed class JoinRaceTests(JoinRaceTests.Fixture fixture) : IClassFixture<JoinRaceTests.Fixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public enum PosterAppend { Late, Lost }

    [Theory]
    [InlineData(PosterAppend.Late)]
    [InlineData(PosterAppend.Lost)]
    public async Task A_message_sent_while_the_conversation_is_handed_to_its_agent_reaches_the_agent(PosterAppend append)
    {
        var tenant = Tenant();
        var conversation = await fixture.Store.CreateAsync(tenant, "v1", "Visitor v1", "/", "en");
        await fixture.Store.MoveAsync(tenant, conversation.Id, ConversationStates.Queued);
        await using var customer = await HelloAsync(tenant, "v1", Roles.Visitor);
        await using var alice = await HelloAsync(tenant, "alice", Roles.Agent);

        var message = await SentWhileJoiningAsync(conversation, "alice", customer, append, "is my order on its way?",
            () => WithConversationsAsync(c => c.ApplyAsync(tenant, AssignedTo(conversation.Id, "alice"), default)));

        await ReceivesOnceAsync(alice, "conversation", f => f, message);
    }

    [Theory]
    [InlineData(PosterAppend.Late)]
    [InlineData(PosterAppend.Lost)]
    public async Task A_message_sent_while_the_conversation_is_transferred_reaches_the_new_agent(PosterAppend append)
    {
        var tenant = Tenant();
        var (conversation, customer) = await WithAliceAsync(tenant);
        await using var _ = customer;
        await using var alice = await HelloAsync(tenant, "alice", Roles.Agent);
        await using var bob = await HelloAsync(tenant, "bob", Roles.Agent);

        var message = await SentWhileJoiningAsync(conversation, "bob", customer, append, "can someone else help?",
            () => WithConversationsAsync(async c => await c.CompleteTransferAsync(
                (await fixture.Store.GetAsync(tenant, conversation.Id))!, "bob", null, AssignedTo(conversation.Id, "bob"), default)));

        await ReceivesOnceAsync(bob, "conversation", f => f, message);
    }

    [Theory]
    [InlineData(PosterAppend.Late)]
    [InlineData(PosterAppend.Lost)]
    public async Task A_message_sent_while_the_agent_reconnects_reaches_the_agent(PosterAppend append)
    {
        var tenant = Tenant();
        var (conversation, customer) = await WithAliceAsync(tenant);
        await using var _ = customer;
        await using var alice = await fixture.Host.ConnectAsync(tenant, "alice", Roles.Agent);

        var message = await SentWhileJoiningAsync(conversation, "alice", customer, append, "are you still there?",
            () => alice.SendAsync(new { type = "hello" }));

        await ReceivesOnceAsync(alice, "welcome", f => f["conversations"]!.AsArray().Single(c => (string?)c!["conversationId"] == conversation.Id)!, message);
    }

    [Theory]
    [InlineData(PosterAppend.Late)]
    [InlineData(PosterAppend.Lost)]
    public async Task A_message_sent_while_a_customer_resumes_reaches_the_resumed_socket(PosterAppend append)
    {
        var tenant = Tenant();
        var (conversation, firstTab) = await fixture.Host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = firstTab;
        await using var secondTab = await fixture.Host.ConnectAsync(tenant, "v1", Roles.Visitor);

        var message = await SentWhileJoiningAsync(conversation, "v1", firstTab, append, "sent from my other tab",
            () => secondTab.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 0 }));

        await ReceivesOnceAsync(secondTab, "conversation", f => f, message);
    }

    [Fact]
    public async Task A_number_taken_by_a_post_that_never_published_is_reported_and_a_refused_one_is_not_waited_for()
    {
        var tenant = Tenant();
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        await PostAsync(customer, conversation.Id, "c0", "hello");
        // Numbered, then the poster stopped before publishing: no message will ever carry seq 2.
        await fixture.Store.NumberAsync(tenant, conversation.Id, "c1", "customer", "v1", privileged: false);
        // Numbered and refused by screening (as PostAsync marks it): seq 3 is void.
        var (_, refused, _) = await fixture.Store.NumberAsync(tenant, conversation.Id, "c2", "customer", "v1", privileged: false);
        await fixture.Store.VoidAsync(tenant, conversation.Id, refused);
        await PostAsync(customer, conversation.Id, "c3", "anyone?");

        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 0 });
        var snapshot = await customer.NextAsync("conversation", Patience);
        Assert.Equal(4, (long?)snapshot["lastSeq"]);
        Assert.Equal([1L, 4L], snapshot["messages"]!.AsArray().Select(m => (long)m!["seq"]!));
        Assert.Contains(fixture.Host.Logs.All, l => l.Message.Contains($"{tenant}/{conversation.Id}: 1 of the numbers up to 4 have no message"));
    }

    [Fact]
    public async Task A_welcome_holds_a_long_conversations_latest_messages_and_a_resume_from_zero_all_of_them()
    {
        var tenant = Tenant();
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        int count = RedisKeys.RecentMessagesKept + 10;
        for (int i = 1; i <= count; i++)
            fixture.Store.AppendRecent(await InFlightCustomerMessageAsync(conversation, customer, $"m{i}", $"message {i}"));
        // One Redis connection keeps its commands in order: the appends are in before this read.
        Assert.Equal(11, (await fixture.Store.GetRecentAsync(tenant, conversation.Id))[0].Seq);

        // After a Session restart every socket says hello at once: the welcome reads Redis, not the whole stream.
        await using var secondTab = await fixture.Host.ConnectAsync(tenant, "v1", Roles.Visitor);
        await secondTab.SendAsync(new { type = "hello" });
        var welcome = (await secondTab.NextAsync("welcome", Patience))["conversations"]!.AsArray().Single()!;
        Assert.Equal(count, (long?)welcome["lastSeq"]);
        Assert.Equal(Enumerable.Range(count - RedisKeys.LatestShown + 1, RedisKeys.LatestShown).Select(i => (long)i), welcome["messages"]!.AsArray().Select(m => (long)m!["seq"]!));

        // A client that has none of them resumes from its own last seq, and JetStream gives back the older ones.
        await secondTab.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 0 });
        var resumed = await secondTab.NextAsync("conversation", Patience);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), resumed["messages"]!.AsArray().Select(m => (long)m!["seq"]!));
    }

    [Fact]
    public async Task A_resume_reads_the_stream_when_Redis_holds_fewer_distinct_messages_than_it_keeps_because_of_resends()
    {
        var tenant = Tenant();
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        int count = RedisKeys.RecentMessagesKept + 10;
        var sent = new List<ChatMessage>();
        for (int i = 1; i <= count; i++)
        {
            sent.Add(await InFlightCustomerMessageAsync(conversation, customer, $"m{i}", $"message {i}"));
            fixture.Store.AppendRecent(sent[^1]);
        }
        // Resends after lost acks appended the last ten a second time: the list is full, but of ten fewer distinct messages.
        foreach (var message in sent.TakeLast(10)) fixture.Store.AppendRecent(message);
        var recent = await fixture.Store.GetRecentAsync(tenant, conversation.Id);
        Assert.Equal((21L, RedisKeys.RecentMessagesKept - 10), (recent[0].Seq, recent.Count));

        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 5 });
        var resumed = await customer.NextAsync("conversation", Patience);
        Assert.Equal(Enumerable.Range(6, count - 5).Select(i => (long)i), resumed["messages"]!.AsArray().Select(m => (long)m!["seq"]!));
    }

    private static async Task PostAsync(TestSocket customer, string conversationId, string clientId, string text)
    {
        await customer.SendAsync(new { type = "message", conversationId, clientId, text });
        await customer.NextAsync("ack", Patience, f => (string?)f["clientId"] == clientId);
    }

    /// <summary>
    /// The race, on purpose: the customer's first message posted as usual; then <paramref name="startJoin"/> sets off a
    /// join of <paramref name="joiningUser"/>, held where it opens; the second message is numbered, stored and delivered
    /// meanwhile; then the join goes on, and the poster's append lands late or never.
    /// </summary>
    private async Task<ChatMessage> SentWhileJoiningAsync(Conversation conversation, string joiningUser, TestSocket customer,
        PosterAppend append, string text, Func<Task> startJoin)
    {
        await PostAsync(customer, conversation.Id, "c0", "hello");
        var held = fixture.Probe.Hold(conversation.Id, joiningUser);
        await startJoin();
        await held.Reached.WaitAsync(Patience);
        var message = await InFlightCustomerMessageAsync(conversation, customer, "c1", text);
        held.Release();
        await LandAsync(message, append);
        return message;
    }

    /// <summary>A conversation of visitor v1 assigned to alice (in her conversations too), and the visitor's socket.</summary>
    private async Task<(Conversation, TestSocket)> WithAliceAsync(string tenant)
    {
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(tenant, "v1", "alice");
        await fixture.Store.AddAgentConversationAsync(tenant, "alice", conversation.Id);
        return (conversation, customer);
    }

    /// <summary>Routing's answer applied as Session applies it (no Routing runs here).</summary>
    private async Task WithConversationsAsync(Func<ConversationService, Task> apply)
    {
        await using var scope = fixture.Host.Services.CreateAsyncScope();
        await apply(scope.ServiceProvider.GetRequiredService<ConversationService>());
    }

    private static RoutingDecision AssignedTo(string conversationId, string agent) =>
        new() { ConversationId = conversationId, Assigned = true, AgentId = agent, SkillGroup = "general" };

    private static string Tenant() => "race" + Guid.NewGuid().ToString("N")[..8];

    private async Task<TestSocket> HelloAsync(string tenant, string user, string role)
    {
        var socket = await fixture.Host.ConnectAsync(tenant, user, role);
        await socket.SendAsync(new { type = "hello" });
        await socket.NextAsync("welcome", Patience);
        return socket;
    }

    /// <summary>
    /// The customer's message as its poster has it between the JetStream publish and the append to the latest
    /// messages: numbered, durable, and delivered by this replica to the sockets already in the conversation (the
    /// customer's socket shows the delivery ran).
    /// </summary>
    private async Task<ChatMessage> InFlightCustomerMessageAsync(Conversation conversation, TestSocket customerSocket, string clientId, string text)
    {
        var (result, seq, _) = await fixture.Store.NumberAsync(conversation.Tenant, conversation.Id, clientId, "customer", conversation.VisitorId, privileged: false);
        Assert.Equal(ConversationStore.NumberingResult.New, result);
        var message = new ChatMessage
        {
            MessageId = clientId, TenantId = conversation.Tenant, ConversationId = conversation.Id, Seq = seq, Text = text,
            Sender = new Participant { Kind = ParticipantKind.Customer, Id = conversation.VisitorId, DisplayName = conversation.VisitorName },
            SentAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        await fixture.Host.Get<ChatBus>().PublishMessageAsync(message, default);
        await customerSocket.NextAsync("message", Patience, f => (long?)f["seq"] == seq);
        return message;
    }

    private async Task LandAsync(ChatMessage message, PosterAppend append)
    {
        if (append == PosterAppend.Lost) return;
        await Task.Delay(200); // the race staged: the poster's append lands late (not a wait for anything)
        fixture.Store.AppendRecent(message);
    }

    /// <summary>The message in the join's snapshot frame or live after it, and not delivered live twice.</summary>
    private async Task ReceivesOnceAsync(TestSocket socket, string snapshotType, Func<JsonNode, JsonNode> snapshotOf, ChatMessage message)
    {
        try
        {
            await ReceivedOnceAsync(socket, snapshotType, snapshotOf, message);
        }
        catch (TimeoutException e)
        {
            var problems = fixture.Host.Logs.All.Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(l => $"{l.Category}: {l.Message}");
            throw new TimeoutException($"{e.Message}\nSession's warnings and errors:\n{string.Join("\n", problems)}", e);
        }
    }

    private static async Task ReceivedOnceAsync(TestSocket socket, string snapshotType, Func<JsonNode, JsonNode> snapshotOf, ChatMessage message)
    {
        bool Is(JsonNode? m) => (string?)m?["conversationId"] == message.ConversationId && (long?)m?["seq"] == message.Seq;
        var snapshot = snapshotOf(await socket.NextAsync(snapshotType, Patience));
        Assert.All(snapshot["messages"]!.AsArray(), m => Assert.Equal(message.ConversationId, (string?)m!["conversationId"]));
        bool inSnapshot = snapshot["messages"]!.AsArray().Any(m => Is(m) && (string?)m!["text"] == message.Text);
        if (!inSnapshot && !socket.Seen.Any(f => (string?)f["type"] == "message" && Is(f)))
            await socket.NextAsync("message", Patience, Is);
        await socket.SendAsync(new { type = "ping" });
        await socket.NextAsync("pong", Patience);
        Assert.True(socket.Seen.Count(f => (string?)f["type"] == "message" && Is(f)) <= 1, "the message was delivered live twice");
    }

    /// <summary>Real NATS and Redis, Session hosted against them with a probe that can hold a join.</summary>
    public sealed class Fixture : SessionOnServers
    {
        public Fixture() : this(new HeldJoins()) { }

        // No CRM here: the hand-over does not wait for the customer context.
        private Fixture(HeldJoins probe) : base(new Dictionary<string, string?> { ["Session:ContextWaitAtAssignment"] = "00:00:00" },
            services => services.AddSingleton<JoinProbe>(probe)) => Probe = probe;

        public HeldJoins Probe { get; }
        public ConversationStore Store => Host.Get<ConversationStore>();
    }

    /// <summary>Holds the next join of one user to one conversation until the test releases it.</summary>
    public sealed class HeldJoins : JoinProbe
    {
        private volatile HeldJoin? _next;

        public HeldJoin Hold(string conversationId, string userId) => _next = new HeldJoin(conversationId, userId);

        public override async ValueTask BeforeJoinAsync(string tenant, string conversationId, string userId)
        {
            if (_next is not { } held || held.ConversationId != conversationId || held.UserId != userId) return;
            _next = null;
            held.Arrive();
            await held.Released;
        }
    }

    public sealed class HeldJoin(string conversationId, string userId)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string ConversationId => conversationId;
        public string UserId => userId;
        public Task Reached => _reached.Task;
        public Task Released => _released.Task;
        public void Arrive() => _reached.TrySetResult();
        public void Release() => _released.TrySetResult();
    }
}
