using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.Routing.Tests;

/// <summary>Conversations that wait too long in one group move to another, once, ranked there by how long they waited.</summary>
[Collection(RedisCollection.Name)]
public sealed class OverflowTests(RedisFixture redis)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T09:00:00Z"));
    private Desk NewDesk() => new(redis.NewDispatcher(_time), redis.Db);

    private static Task<RoutingDecision> EnqueueVipAsync(Desk desk, string conversation) =>
        desk.Dispatcher.EnqueueAsync(desk.Tenant, conversation, "", new Placement("vip", QueueBand.Normal, "general", Wait), CancellationToken.None);

    private static Task<IReadOnlyList<RoutingDecision>> OverflowAsync(Desk desk) => desk.Dispatcher.OverflowAsync(desk.Tenant, 100, CancellationToken.None);

    [Fact]
    public async Task A_conversation_overflows_after_its_wait_and_ranks_by_age_in_the_new_group()
    {
        var desk = NewDesk();
        await desk.EnqueueAsync("older", "general");
        await EnqueueVipAsync(desk, "v1");
        await desk.EnqueueAsync("newer", "general");

        _time.Advance(Wait - TimeSpan.FromSeconds(1));
        Assert.Empty(await OverflowAsync(desk));
        Assert.Equal(["v1"], await desk.QueueAsync("vip"));

        _time.Advance(TimeSpan.FromSeconds(2));
        var moved = Assert.Single(await OverflowAsync(desk));

        Assert.Equal(("v1", "general", false, 2), (moved.ConversationId, moved.SkillGroup, moved.Assigned, moved.QueuePosition));
        Assert.Empty(await desk.QueueAsync("vip"));
        Assert.Equal(["older", "v1", "newer"], await desk.QueueAsync("general"));
        _time.Advance(Wait * 2);
        Assert.Empty(await OverflowAsync(desk));
    }

    [Fact]
    public async Task An_overflowing_conversation_goes_to_a_free_agent_of_the_new_group()
    {
        var desk = NewDesk();
        await EnqueueVipAsync(desk, "v1");
        await desk.OnlineAsync("gina", 1, "general");

        _time.Advance(Wait);
        var moved = Assert.Single(await OverflowAsync(desk));

        Assert.Equal(("v1", "general", true, "gina"), (moved.ConversationId, moved.SkillGroup, moved.Assigned, moved.AgentId));
    }

    [Fact]
    public async Task Conversations_assigned_or_ended_before_their_wait_is_over_stay_put()
    {
        var desk = NewDesk();
        await EnqueueVipAsync(desk, "v1");
        await EnqueueVipAsync(desk, "v2");
        await desk.OnlineAsync("vic", 1, "vip");
        await desk.ReleaseAsync("v2");

        _time.Advance(Wait);
        Assert.Empty(await OverflowAsync(desk));
        Assert.Equal(("vic", "vip"), ((await desk.FindAsync("v1")).AgentId, (await desk.FindAsync("v1")).SkillGroup));
    }

    [Fact]
    public async Task Each_replicas_sweeper_moves_due_conversations_once()
    {
        var desk = NewDesk();
        await EnqueueVipAsync(desk, "v1");
        await EnqueueVipAsync(desk, "v2");
        await desk.OnlineAsync("gina", 1, "general");
        var options = new FixedOptions<RoutingOptions>(new RoutingOptions { OverflowSweepEvery = TimeSpan.FromSeconds(1) });
        OverflowSweeper[] sweepers =
        [
            new(redis.NewDispatcher(_time, connection: await redis.ConnectAsync()), options, _time, NullLogger<OverflowSweeper>.Instance),
            new(redis.NewDispatcher(_time, connection: await redis.ConnectAsync()), options, _time, NullLogger<OverflowSweeper>.Instance),
        ];
        foreach (var s in sweepers) await s.StartAsync(CancellationToken.None);
        try
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            // Absence: the sweep this tick runs must move nothing not yet due; no signal tells a sweep is done, so it
            // is given 200 ms of real time.
            await Task.Delay(200);
            Assert.Equal(["v1", "v2"], await desk.QueueAsync("vip"));

            _time.Advance(Wait);
            await Eventually.GetAsync(() => desk.QueueAsync("vip"), queue => queue.Length == 0, "the sweepers moved the due vip conversations",
                TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));

            Assert.Equal(("gina", "general"), ((await desk.FindAsync("v1")).AgentId, (await desk.FindAsync("v1")).SkillGroup));
            Assert.Equal(("general", 1), ((await desk.FindAsync("v2")).SkillGroup, (await desk.FindAsync("v2")).QueuePosition));
            Assert.Equal(["v2"], await desk.QueueAsync("general"));
        }
        finally
        {
            foreach (var s in sweepers) await s.StopAsync(CancellationToken.None);
        }
    }
}
