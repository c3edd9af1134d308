using CustomerService.Contracts;
using CustomerService.Session.Sockets;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.Session.Tests;

/// <summary>
/// A socket that fires frames faster than its budget gets a <c>rate_limited</c> error per frame over it, with a
/// retry hint and its clientId; nothing of a refused frame is stored, the socket lives, and the resend is taken.
/// </summary>
public sealed class FrameBudgetTests
{
    [Fact]
    public void The_budget_is_a_burst_refilled_at_its_rate()
    {
        var time = new FakeTimeProvider();
        var budget = new FrameBudget(perSecond: 4, burst: 3, time);
        Assert.True(budget.TryTake(out _));
        Assert.True(budget.TryTake(out _));
        Assert.True(budget.TryTake(out _));
        Assert.False(budget.TryTake(out var retry));
        Assert.Equal(TimeSpan.FromMilliseconds(250), retry);   // one frame at 4 a second
        time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.True(budget.TryTake(out _));
        time.Advance(TimeSpan.FromSeconds(10));                // a long silence refills the burst, not more
        for (int i = 0; i < 3; i++) Assert.True(budget.TryTake(out _));
        Assert.False(budget.TryTake(out _));
    }

    [Fact]
    public async Task A_visitor_firing_hundreds_of_messages_at_once_gets_rate_limited_keeps_the_socket_and_loses_nothing_it_was_acked()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Session:CustomerFramesPerSecond"] = "2",
            ["Session:CustomerFrameBurst"] = "10",
        });
        var (conversation, customer) = await host.AssignedConversationAsync("flood", "v1", "alice");
        await using var _ = customer;
        // The hand-over took frames of its own (hello, the first message): wait for the bucket to fill again. The
        // bucket refills with the clock (2 a second, up to 10): the time itself is what is waited for.
        await Task.Delay(TimeSpan.FromSeconds(5));
        customer.Pending();
        customer.Seen.Clear();

        const int fired = 300;
        await Task.WhenAll(Enumerable.Range(0, fired).Select(i =>
            customer.SendAsync(new { type = "message", clientId = $"f{i}", text = $"flood {i}", conversationId = conversation.Id })));
        await customer.SendAsync(new { type = "ping" });   // answered after every frame before it: the socket lives
        await customer.NextAsync("pong", TimeSpan.FromSeconds(30));

        var acks = customer.Seen.Where(f => (string?)f["type"] == "ack").ToList();
        var limited = customer.Seen.Where(f => (string?)f["type"] == "error" && (string?)f["code"] == "rate_limited").ToList();
        Assert.InRange(acks.Count, 10, 13);                  // the burst, and what refilled while the flood was read
        Assert.Equal(fired, acks.Count + limited.Count);
        Assert.All(limited, f => Assert.InRange((int?)f["retryAfterMs"] ?? 0, 1, 500));
        Assert.All(limited, f => Assert.StartsWith("f", (string?)f["clientId"]));
        // Refused frames took no number: the acked ones are the conversation's next seqs, without gaps.
        var seqs = acks.Select(a => (long)a["seq"]!).Order().ToList();
        Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Count).Select(i => (long)i), seqs);

        // Sent again after the hint, with the same clientId, a refused message is taken.
        var refused = (string)limited[0]["clientId"]!;
        await Task.Delay((int?)limited[^1]["retryAfterMs"] ?? 500); // the wait the server asked for, as a client would
        await customer.SendAsync(new { type = "message", clientId = refused, text = "again", conversationId = conversation.Id });
        var ack = await customer.NextAsync("ack", TimeSpan.FromSeconds(10), f => (string?)f["clientId"] == refused);
        Assert.Equal(seqs[^1] + 1, (long)ack["seq"]!);
    }

    [Fact]
    public async Task Agents_have_their_own_larger_budget()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString, new Dictionary<string, string?>
        {
            ["Session:CustomerFrameBurst"] = "1",
            ["Session:StaffFrameBurst"] = "30",
        });
        await using var agent = await host.ConnectAsync("flood", "alice", Roles.Agent);
        for (int i = 0; i < 20; i++) await agent.SendAsync(new { type = "typing", conversationId = "none", on = true });
        await agent.SendAsync(new { type = "ping" });
        await agent.NextAsync("pong", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(agent.Seen, f => (string?)f["code"] == "rate_limited");
    }
}
