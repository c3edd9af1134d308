using CustomerService.Session.Conversations;
using CustomerService.TestInfrastructure;
using StackExchange.Redis;

namespace CustomerService.Session.Tests;

/// <summary>
/// Redis losing a conversation's latest increments (restarted from an older copy of its append-only file, as after a
/// crash before the file reached the disk): the next message is numbered past everything JetStream stored, never with
/// a number a stored message already has, and a resume after it is answered at once (the skipped numbers are void).
/// </summary>
public sealed class SequenceRecoveryTests
{
    [Fact]
    public async Task A_Redis_that_lost_its_latest_increments_never_hands_out_a_stored_number_again()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        const string tenant = "seq-recovery";
        var (conversation, customer) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        for (int i = 1; i <= 2; i++) Assert.Equal(i, await PostAsync(customer, conversation.Id, $"m{i}"));

        // The copy Redis will come back from: the append-only file as it was after message 2.
        var olderCopy = Path.Combine(Path.GetTempPath(), $"redis-copy-{Guid.NewGuid():N}");
        CopyDirectory(Path.Combine(redis.DataDirectory, "appendonlydir"), olderCopy);
        for (int i = 3; i <= 5; i++) Assert.Equal(i, await PostAsync(customer, conversation.Id, $"m{i}"));

        redis.Kill();
        Directory.Delete(Path.Combine(redis.DataDirectory, "appendonlydir"), recursive: true);
        CopyDirectory(olderCopy, Path.Combine(redis.DataDirectory, "appendonlydir"));
        Directory.Delete(olderCopy, recursive: true);
        await redis.StartAgainAsync();
        long restored = -1;
        await Eventually.UntilAsync(async () =>
        {
            try { restored = (await host.Get<ConversationStore>().GetAsync(tenant, conversation.Id))!.LastSeq; return true; }
            catch (RedisConnectionException) { return false; }
        }, "Session reading Redis again", TimeSpan.FromSeconds(30));
        Assert.Equal(2, restored); // the loss is real: Redis alone would number the next message 3

        var seq = await PostWhenRedisAnswersAsync(customer, conversation.Id, "m6");
        Assert.Equal(5 + ConversationStore.ReconcileMargin + 1, seq);
        Assert.Equal(seq + 1, await PostAsync(customer, conversation.Id, "m7")); // checked once per run, then Redis alone

        // A resume from the last number the customer saw before the loss: m6 and m7 at once, no wait for the skipped numbers.
        var started = DateTime.UtcNow;
        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 5 });
        var answer = await customer.NextAsync("conversation", TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), $"the resume took {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        Assert.Equal([seq, seq + 1], answer["messages"]!.AsArray().Select(m => (long)m!["seq"]!).ToArray());
    }

    [Fact]
    public async Task A_number_taken_and_never_stored_is_voided_by_the_first_snapshot_that_waited_for_it()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        const string tenant = "seq-void";
        var (conversation, customer) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        Assert.Equal(1, await PostAsync(customer, conversation.Id, "m1"));
        // A replica killed between numbering and storing: number 2 is taken, its message never reaches the stream.
        var store = host.Get<ConversationStore>();
        var (taken, seq, _) = await store.NumberAsync(tenant, conversation.Id, "lost-2", "customer", "v1", privileged: false);
        Assert.Equal((ConversationStore.NumberingResult.New, 2L), (taken, seq));
        Assert.Equal(3, await PostAsync(customer, conversation.Id, "m3"));

        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 1 });
        var answer = await customer.NextAsync("conversation", TimeSpan.FromSeconds(10));
        Assert.Equal([3L], answer["messages"]!.AsArray().Select(m => (long)m!["seq"]!).ToArray());
        var snapshot = await store.ReadSnapshotAsync(tenant, conversation.Id);
        Assert.Contains(2L, snapshot!.Value.Voids); // the next snapshot neither waits for it nor reads the stream again
    }

    [Fact]
    public async Task The_resend_of_a_voided_number_takes_the_void_mark_off_and_a_resume_then_holds_its_message()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        const string tenant = "seq-unvoid";
        var (conversation, customer) = await host.AssignedConversationAsync(tenant, "v1", "alice");
        await using var _ = customer;
        Assert.Equal(1, await PostAsync(customer, conversation.Id, "m1"));
        // Number 2 taken by a replica killed before it published; a snapshot voids it (singles-day run, Session 13).
        var store = host.Get<ConversationStore>();
        await store.NumberAsync(tenant, conversation.Id, "lost-2", "customer", "v1", privileged: false);
        Assert.Equal(3, await PostAsync(customer, conversation.Id, "m3"));
        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 1 });
        await customer.NextAsync("conversation", TimeSpan.FromSeconds(10));
        Assert.Contains(2L, (await store.ReadSnapshotAsync(tenant, conversation.Id))!.Value.Voids);

        // The customer, back on a new socket, sends its unacked message again: it gets number 2 and carries it now.
        Assert.Equal(2, await PostAsync(customer, conversation.Id, "lost-2"));
        Assert.DoesNotContain(2L, (await store.ReadSnapshotAsync(tenant, conversation.Id))!.Value.Voids);
        customer.Pending();
        await customer.SendAsync(new { type = "resume", conversationId = conversation.Id, lastSeq = 1 });
        var answer = await customer.NextAsync("conversation", TimeSpan.FromSeconds(10));
        Assert.Equal([2L, 3L], answer["messages"]!.AsArray().Select(m => (long)m!["seq"]!).ToArray());
    }

    private static async Task<long> PostAsync(TestSocket customer, string conversationId, string clientId)
    {
        await customer.SendAsync(new { type = "message", clientId, text = $"text of {clientId}", conversationId });
        var ack = await customer.NextAsync("ack", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == clientId);
        return (long)ack["seq"]!;
    }

    /// <summary>Sends until acked: Session's connection to Redis comes back a moment after the server does.</summary>
    private static async Task<long> PostWhenRedisAnswersAsync(TestSocket customer, string conversationId, string clientId) =>
        (long)(await customer.SendUntilAckedAsync(new { type = "message", clientId, text = $"text of {clientId}", conversationId }, clientId,
            "an ack once Redis is back", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)))["seq"]!;

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
