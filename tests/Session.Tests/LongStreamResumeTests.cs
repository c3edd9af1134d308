using System.Diagnostics;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Sockets;
using Google.Protobuf;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit.Abstractions;

namespace CustomerService.Session.Tests;

/// <summary>
/// Coming back after a Session restart under load (the singles-day run, docs/performance.md "Session 12"): a resume
/// whose gap is older than Redis keeps reads the conversation back from JetStream, in a stream where its messages are
/// a few among many other conversations'; every message must come back, and a read that stops short must never pass
/// for "those numbers carry no message" (void), or the client settles them and they are lost to it for good. An
/// agent's hello joins every conversation before it reads any, so none goes without live delivery while others' slow
/// snapshots are read.
/// </summary>
public sealed class LongStreamResumeTests(LongStreamResumeTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<LongStreamResumeTests.Fixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30), SettleWait = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task An_agents_hello_joins_every_conversation_before_reading_any_and_reads_them_side_by_side()
    {
        var (tenant, store) = (fixture.Tenant, fixture.Host.Get<ConversationStore>());
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var conversation = await store.CreateAsync(tenant, $"w{i}", $"Visitor w{i}", "/", "en");
            await store.MoveAsync(tenant, conversation.Id, ConversationStates.Queued);
            await store.MoveAsync(tenant, conversation.Id, ConversationStates.Assigned, "bob", "bob", "general");
            await store.AddAgentConversationAsync(tenant, "bob", conversation.Id);
            var (_, seq, _) = await store.NumberAsync(tenant, conversation.Id, "first", "customer", conversation.VisitorId, privileged: false);
            var first = new ChatMessage
            {
                MessageId = "first", TenantId = tenant, ConversationId = conversation.Id, Seq = seq, Text = "hello",
                Sender = new Participant { Kind = ParticipantKind.Customer, Id = conversation.VisitorId },
                SentAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            await fixture.Host.Get<Messaging.ChatBus>().PublishMessageAsync(first, default);
            store.AppendRecent(first);
            // Then a post whose replica was killed: in the first conversation after storing it in JetStream and before
            // its append to Redis; in the others before publishing. Either way the snapshot waits it out.
            var (_, lost, _) = await store.NumberAsync(tenant, conversation.Id, "lost", "customer", conversation.VisitorId, privileged: false);
            if (i == 0)
                await fixture.Host.Get<Messaging.ChatBus>().PublishMessageAsync(new ChatMessage(first) { MessageId = "lost", Seq = lost, Text = "still there?" }, default);
            ids.Add(conversation.Id);
        }
        await using var bob = await fixture.Host.ConnectAsync(tenant, "bob", Roles.Agent);
        var registry = fixture.Host.Get<ConnectionRegistry>();

        var clock = Stopwatch.StartNew();
        await bob.SendAsync(new { type = "hello" });
        await Eventually.UntilAsync(() => ids.All(id => registry.ForConversation(tenant, id).Any(c => c.Identity.UserId == "bob")),
            "all 3 conversations joined while the first snapshot waited", SettleWait, TimeSpan.FromMilliseconds(10),
            () => $"joined {ids.Count(id => registry.ForConversation(tenant, id).Any())} of 3");
        var welcome = await bob.NextAsync("welcome", Patience);
        Assert.Equal(ids.Order(), welcome["conversations"]!.AsArray().Select(c => (string)c!["conversationId"]!).Order());
        Assert.True(clock.Elapsed < 2 * SettleWait, $"the welcome took {clock.Elapsed.TotalSeconds:F1} s: its snapshots were read one after another");
        // The stored one found in the stream is in the welcome, and put back into Redis for the next snapshot.
        var entry = welcome["conversations"]!.AsArray().Single(c => (string?)c!["conversationId"] == ids[0])!;
        Assert.Equal([1L, 2L], entry["messages"]!.AsArray().Select(m => (long)m!["seq"]!));
        Assert.Equal([1L, 2L], (await store.GetRecentAsync(tenant, ids[0])).Select(m => m.Seq));
    }

    [Fact]
    public async Task A_resume_from_far_back_gets_every_message_of_a_conversation_spread_over_a_long_stream()
    {
        var (tenant, conversation) = (fixture.Tenant, fixture.Conversations[0]);
        await using var customer = await fixture.Host.ConnectAsync(tenant, conversation.VisitorId, Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome", Patience);

        var clock = Stopwatch.StartNew();
        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 3 });
        var resumed = await customer.NextAsync("conversation", Patience);
        output.WriteLine($"resume answered in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(Enumerable.Range(4, Fixture.PerConversation - 3).Select(i => (long)i),
            resumed["messages"]!.AsArray().Select(m => (long)m!["seq"]!));
        Assert.DoesNotContain(fixture.Host.Logs.All, l => l.Message.Contains($"{conversation.Id}: ") && l.Message.Contains("have no message"));
    }

    [Fact]
    public async Task A_resume_that_waits_does_not_hold_the_sockets_next_frames()
    {
        var (tenant, store) = (fixture.Tenant, fixture.Host.Get<ConversationStore>());
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(tenant, "r1", "carol");
        await using var _ = customer;
        // A number taken by a post that never published: a resume over it waits the whole settle wait.
        await store.NumberAsync(tenant, conversation.Id, "lost", "customer", "r1", privileged: false);

        var clock = Stopwatch.StartNew();
        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 0 });
        await customer.SendAsync(new { type = "ping" });
        await customer.NextAsync("pong", Patience);
        var pongAfter = clock.Elapsed;
        await customer.NextAsync("conversation", Patience);
        Assert.True(pongAfter < SettleWait, $"the ping was answered after {pongAfter.TotalSeconds:F1} s, behind the resume");
        Assert.True(clock.Elapsed >= SettleWait - TimeSpan.FromMilliseconds(100), "the resume did not wait: the test tests nothing");
    }

    [Fact]
    public async Task A_number_stored_before_a_resent_messages_new_stamp_is_found_and_not_voided()
    {
        var (tenant, store) = (fixture.Tenant, fixture.Host.Get<ConversationStore>());
        var (conversation, customer) = await fixture.Host.AssignedConversationAsync(tenant, "s1", "dave");
        await using var _ = customer;
        var bus = fixture.Host.Get<Messaging.ChatBus>();
        ChatMessage Message(long seq, string id, DateTimeOffset stamped) => new()
        {
            MessageId = id, TenantId = tenant, ConversationId = conversation.Id, Seq = seq, Text = id,
            Sender = new Participant { Kind = ParticipantKind.Customer, Id = "s1" }, SentAtUnixMs = stamped.ToUnixTimeMilliseconds(),
        };
        var (_, first, _) = await store.NumberAsync(tenant, conversation.Id, "a", "customer", "s1", privileged: false);
        var (_, second, _) = await store.NumberAsync(tenant, conversation.Id, "b", "customer", "s1", privileged: false);
        await bus.PublishMessageAsync(Message(first, "a", DateTimeOffset.UtcNow), default);
        await bus.PublishMessageAsync(Message(second, "b", DateTimeOffset.UtcNow), default); // its poster killed before the append
        // "a" resent much later after a lost ack: JetStream keeps the first copy, Redis gets the resend's stamp.
        store.AppendRecent(Message(first, "a", DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10)));

        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 0 });
        var resumed = await customer.NextAsync("conversation", Patience);
        Assert.Equal([first, second], resumed["messages"]!.AsArray().Select(m => (long)m!["seq"]!));
        Assert.DoesNotContain(fixture.Host.Logs.All, l => l.Message.Contains($"{conversation.Id}: ") && l.Message.Contains("have no message"));
    }

    /// <summary>
    /// After a Session kill under load every welcome waited for numbers the killed replica took (the settle wait, then
    /// a stream read's turn), and the frames behind the hello waited with it: the customer's resends that would settle
    /// those numbers, the agent's resumes for its holes (docs/performance.md, "Session 14"). The hello joins in order;
    /// its welcome comes beside the next frames.
    /// </summary>
    [Fact]
    public async Task A_message_sent_after_a_hello_whose_welcome_waits_is_acknowledged_before_the_welcome()
    {
        var (tenant, store) = (fixture.Tenant, fixture.Host.Get<ConversationStore>());
        var conversation = await store.CreateAsync(tenant, "k1", "Visitor k1", "/", "en");
        await store.MoveAsync(tenant, conversation.Id, ConversationStates.Queued);
        await store.MoveAsync(tenant, conversation.Id, ConversationStates.Assigned, "alice", "alice", "general");
        var (_, first, _) = await store.NumberAsync(tenant, conversation.Id, "first", "customer", "k1", privileged: false);
        store.AppendRecent(new ChatMessage
        {
            MessageId = "first", TenantId = tenant, ConversationId = conversation.Id, Seq = first, Text = "hello",
            Sender = new Participant { Kind = ParticipantKind.Customer, Id = "k1" }, SentAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        });
        // Numbered by a replica killed before it published: the welcome waits for it to settle.
        await store.NumberAsync(tenant, conversation.Id, "taken", "customer", "k1", privileged: false);

        await using var customer = await fixture.Host.ConnectAsync(tenant, "k1", Roles.Visitor);
        var waited = Stopwatch.StartNew();
        await customer.SendAsync(new { type = "hello" });
        await customer.SendAsync(new { type = "message", clientId = "after-hello", text = "still there?", conversationId = conversation.Id });
        var ack = await customer.NextAsync("ack", Patience, f => (string?)f["clientId"] == "after-hello");
        Assert.True(waited.Elapsed < SettleWait, $"acked after {waited.Elapsed.TotalSeconds:0.0} s: it waited for the welcome");
        Assert.DoesNotContain(customer.Seen, f => (string?)f["type"] == "welcome");
        Assert.Equal(3, (long?)ack["seq"]);

        var welcome = (await customer.NextAsync("welcome", Patience))["conversations"]!.AsArray().Single()!;
        Assert.Equal(conversation.Id, (string?)welcome["conversationId"]);
        Assert.Contains(welcome["messages"]!.AsArray(), m => (string?)m!["clientId"] == "after-hello");
    }

    /// <summary><see cref="Count"/> conversations' messages interleaved in CHAT_MESSAGES.</summary>
    public sealed class Fixture() : SessionOnServers(new Dictionary<string, string?>
    {
        ["Session:ContextWaitAtAssignment"] = "00:00:00",
        ["Session:SnapshotSettleWait"] = SettleWait.ToString(),
    })
    {
        public const int Count = 400, PerConversation = 300;
        public string Tenant { get; } = "long" + Guid.NewGuid().ToString("N")[..8];
        public List<Conversation> Conversations { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var store = Host.Get<ConversationStore>();
            for (int c = 0; c < Count; c++)
            {
                var conversation = await store.CreateAsync(Tenant, $"v{c}", $"Visitor {c}", "/", "en");
                await store.MoveAsync(Tenant, conversation.Id, ConversationStates.Queued);
                await store.MoveAsync(Tenant, conversation.Id, ConversationStates.Assigned, "alice", "alice", "general");
                Conversations.Add(conversation);
            }
            var jetStream = Host.Get<INatsJSContext>();
            var inFlight = new List<Task>();
            for (int seq = 1; seq <= PerConversation; seq++)
            {
                foreach (var conversation in Conversations)
                {
                    var message = new ChatMessage
                    {
                        MessageId = $"m{seq}", TenantId = Tenant, ConversationId = conversation.Id, Seq = seq, Text = $"message {seq}",
                        Sender = new Participant { Kind = ParticipantKind.Customer, Id = conversation.VisitorId },
                        SentAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    };
                    inFlight.Add(jetStream.PublishAsync(Subjects.Message(Tenant, conversation.Id), message.ToByteArray()).AsTask());
                    if (seq > PerConversation - RedisKeys.RecentMessagesKept) store.AppendRecent(message);
                    if (inFlight.Count >= 512) { await Task.WhenAll(inFlight); inFlight.Clear(); }
                }
            }
            await Task.WhenAll(inFlight);
            // Numbered as the posts would have numbered them (one Redis round trip each would make the set-up slow).
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
            foreach (var conversation in Conversations)
                await redis.GetDatabase().HashSetAsync($"cs:{Tenant}:conv:{conversation.Id}", "seq", PerConversation);
        }
    }
}
