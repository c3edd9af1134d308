using CustomerService.Routing.Dispatch;
using Grpc.Core;

namespace CustomerService.Routing.Tests;

[Collection(RedisCollection.Name)]
public sealed class DispatcherTests(RedisFixture redis)
{
    private readonly Desk _desk = new(redis.NewDispatcher(), redis.Db);

    [Fact]
    public async Task Assigns_to_an_online_agent_of_the_conversations_skill_group()
    {
        await _desk.OnlineAsync("sam", 3, "sales");
        await _desk.OnlineAsync("sue", 3, "support");

        var decision = await _desk.EnqueueAsync("c1", "support");

        Assert.True(decision.Assigned);
        Assert.Equal("sue", decision.AgentId);
        Assert.Equal("support", decision.SkillGroup);
        Assert.Equal(0, decision.QueuePosition);
        Assert.Equal(["c1"], await _desk.ConversationsOfAsync("sue"));
    }

    [Fact]
    public async Task Away_and_offline_agents_get_no_new_conversations()
    {
        await _desk.OnlineAsync("ann", 3, "support");
        await _desk.OnlineAsync("bob", 3, "support");
        await _desk.AwayAsync("ann");
        await _desk.OfflineAsync("bob");

        var decision = await _desk.EnqueueAsync("c1", "support");

        Assert.False(decision.Assigned);
        Assert.Equal(1, decision.QueuePosition);
    }

    [Fact]
    public async Task An_agent_takes_no_more_than_its_capacity()
    {
        await _desk.OnlineAsync("ann", 2, "support");

        var decisions = new[]
        {
            await _desk.EnqueueAsync("c1", "support"),
            await _desk.EnqueueAsync("c2", "support"),
            await _desk.EnqueueAsync("c3", "support"),
        };

        Assert.Equal([true, true, false], decisions.Select(d => d.Assigned));
        Assert.Equal(1, decisions[2].QueuePosition);
        Assert.Equal(["c1", "c2"], await _desk.ConversationsOfAsync("ann"));
    }

    [Fact]
    public async Task The_least_loaded_agent_gets_the_next_conversation()
    {
        await _desk.OnlineAsync("ann", 5, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "support");
        await _desk.OnlineAsync("bob", 5, "support");

        Assert.Equal("bob", (await _desk.EnqueueAsync("c3", "support")).AgentId);
        Assert.Equal("bob", (await _desk.EnqueueAsync("c4", "support")).AgentId);
        await _desk.EnqueueAsync("c5", "support");
        await _desk.EnqueueAsync("c6", "support");

        Assert.Equal(3, (await _desk.ConversationsOfAsync("ann")).Length);
        Assert.Equal(3, (await _desk.ConversationsOfAsync("bob")).Length);
    }

    [Fact]
    public async Task A_returning_visitor_goes_back_to_their_previous_agent_even_when_another_is_less_loaded()
    {
        await _desk.OnlineAsync("ann", 5, "support");
        Assert.Equal("ann", (await _desk.EnqueueAsync("first", "support", visitor: "v1")).AgentId);
        await _desk.EnqueueAsync("other", "support");
        await _desk.ReleaseAsync("first");
        await _desk.OnlineAsync("bob", 5, "support");

        var again = await _desk.EnqueueAsync("second", "support", visitor: "v1");

        Assert.Equal("ann", again.AgentId);
        var ttl = await redis.Db.KeyTimeToLiveAsync(Dispatcher.KeyPrefix(_desk.Tenant) + "visitor:v1:agent");
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(23), TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task Stickiness_yields_when_the_previous_agent_is_away_or_full()
    {
        await _desk.OnlineAsync("ann", 1, "support");
        await _desk.EnqueueAsync("first", "support", visitor: "v1");
        await _desk.OnlineAsync("bob", 5, "support");

        Assert.Equal("bob", (await _desk.EnqueueAsync("while-full", "support", visitor: "v1")).AgentId);

        await _desk.ReleaseAsync("first");
        await _desk.AwayAsync("ann");
        Assert.Equal("bob", (await _desk.EnqueueAsync("while-away", "support", visitor: "v2")).AgentId);
        Assert.Equal("bob", (await _desk.EnqueueAsync("away-sticky", "support", visitor: "v1")).AgentId);
    }

    [Fact]
    public async Task Stickiness_stays_within_the_skill_group()
    {
        await _desk.OnlineAsync("ann", 5, "sales");
        await _desk.EnqueueAsync("first", "sales", visitor: "v1");
        await _desk.OnlineAsync("sue", 5, "support");

        Assert.Equal("sue", (await _desk.EnqueueAsync("second", "support", visitor: "v1")).AgentId);
    }

    [Fact]
    public async Task Queue_positions_count_from_one_and_move_up_as_earlier_conversations_are_assigned()
    {
        var waiting = new[]
        {
            await _desk.EnqueueAsync("c1", "support"),
            await _desk.EnqueueAsync("c2", "support"),
            await _desk.EnqueueAsync("c3", "support"),
        };
        Assert.Equal([1, 2, 3], waiting.Select(d => d.QueuePosition));
        Assert.Equal(3, await _desk.PositionAsync("c3"));

        var online = await _desk.OnlineAsync("ann", 1, "support");

        Assert.Equal("c1", Assert.Single(online.Assigned).ConversationId);
        Assert.Equal(0, await _desk.PositionAsync("c1"));
        Assert.Equal(1, await _desk.PositionAsync("c2"));
        Assert.Equal(2, await _desk.PositionAsync("c3"));
    }

    [Fact]
    public async Task Priority_customers_wait_ahead_of_others_and_are_served_first()
    {
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "support");
        var vip = await _desk.EnqueueAsync("vip", "support", band: QueueBand.Priority);
        var vip2 = await _desk.EnqueueAsync("vip2", "support", band: QueueBand.Priority);

        Assert.Equal(1, vip.QueuePosition);
        Assert.Equal(2, vip2.QueuePosition);
        Assert.Equal(3, await _desk.PositionAsync("c1"));

        var online = await _desk.OnlineAsync("ann", 3, "support");
        Assert.Equal(["vip", "vip2", "c1"], online.Assigned.Select(d => d.ConversationId));
    }

    [Fact]
    public async Task An_agent_going_offline_requeues_its_conversations_at_the_front()
    {
        await _desk.OnlineAsync("ann", 2, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "support");
        await _desk.EnqueueAsync("waiting", "support");

        var offline = await _desk.OfflineAsync("ann");

        Assert.Equal(["c1", "c2"], offline.Requeued.Select(d => d.ConversationId));
        Assert.All(offline.Requeued, d => Assert.False(d.Assigned));
        Assert.Equal([1, 2], offline.Requeued.Select(d => d.QueuePosition));
        Assert.Equal(["c1", "c2", "waiting"], await _desk.QueueAsync("support"));
        Assert.Empty(await _desk.ConversationsOfAsync("ann"));
    }

    [Fact]
    public async Task An_agent_going_offline_hands_its_conversations_to_free_agents_of_their_groups_first()
    {
        await _desk.OnlineAsync("ann", 3, "support", "sales");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "sales");
        await _desk.EnqueueAsync("c3", "support");
        await _desk.OnlineAsync("bob", 1, "support");

        var offline = await _desk.OfflineAsync("ann");

        Assert.Equal(["c1", "c2", "c3"], offline.Requeued.Select(d => d.ConversationId));
        Assert.Equal("bob", offline.Requeued[0].AgentId);
        Assert.Equal(("sales", 1), (offline.Requeued[1].SkillGroup, offline.Requeued[1].QueuePosition));
        Assert.Equal(("support", 1), (offline.Requeued[2].SkillGroup, offline.Requeued[2].QueuePosition));
    }

    [Fact]
    public async Task Away_keeps_the_agents_conversations_and_coming_back_takes_from_the_queue()
    {
        await _desk.OnlineAsync("ann", 2, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.AwayAsync("ann");
        await _desk.EnqueueAsync("c2", "support");
        await _desk.EnqueueAsync("c3", "support");
        Assert.Equal(["c1"], await _desk.ConversationsOfAsync("ann"));

        var back = await _desk.OnlineAsync("ann", 2, "support");

        Assert.Equal("c2", Assert.Single(back.Assigned).ConversationId);
        Assert.Equal(1, await _desk.PositionAsync("c3"));
    }

    [Fact]
    public async Task Changing_skill_groups_stops_assignments_from_the_old_group()
    {
        await _desk.OnlineAsync("ann", 2, "sales");
        await _desk.OnlineAsync("ann", 2, "support");

        Assert.False((await _desk.EnqueueAsync("c1", "sales")).Assigned);
        Assert.Equal("ann", (await _desk.EnqueueAsync("c2", "support")).AgentId);
    }

    [Fact]
    public async Task Raising_capacity_takes_waiting_conversations_and_lowering_it_stops_new_ones()
    {
        await _desk.OnlineAsync("ann", 1, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "support");
        await _desk.EnqueueAsync("c3", "support");

        var raised = await _desk.OnlineAsync("ann", 3, "support");
        Assert.Equal(["c2", "c3"], raised.Assigned.Select(d => d.ConversationId));

        await _desk.OnlineAsync("ann", 2, "support");
        await _desk.ReleaseAsync("c1");
        Assert.False((await _desk.EnqueueAsync("c4", "support")).Assigned);
    }

    [Fact]
    public async Task Release_frees_capacity_for_the_next_waiting_conversation()
    {
        await _desk.OnlineAsync("ann", 1, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "support");
        await _desk.EnqueueAsync("c3", "support");

        var released = await _desk.ReleaseAsync("c1", "ann");

        var next = Assert.Single(released.Assigned);
        Assert.Equal(("c2", "ann"), (next.ConversationId, next.AgentId));
        Assert.Equal(1, await _desk.PositionAsync("c3"));
        Assert.Equal(["c2"], await _desk.ConversationsOfAsync("ann"));
        await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.FindAsync("c1"));
    }

    [Fact]
    public async Task Release_takes_the_best_waiting_conversation_across_the_agents_groups()
    {
        await _desk.OnlineAsync("ann", 1, "sales", "support");
        await _desk.EnqueueAsync("c1", "sales");
        await _desk.EnqueueAsync("support-first", "support");
        await _desk.EnqueueAsync("sales-second", "sales");
        await _desk.EnqueueAsync("sales-vip", "sales", band: QueueBand.Priority);

        Assert.Equal("sales-vip", Assert.Single((await _desk.ReleaseAsync("c1")).Assigned).ConversationId);
        Assert.Equal("support-first", Assert.Single((await _desk.ReleaseAsync("sales-vip")).Assigned).ConversationId);
    }

    [Fact]
    public async Task Releasing_a_waiting_conversation_takes_it_out_of_the_queue()
    {
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("c2", "support");

        Assert.Empty((await _desk.ReleaseAsync("c1")).Assigned);

        Assert.Equal(1, await _desk.PositionAsync("c2"));
        Assert.Equal(["c2"], await _desk.QueueAsync("support"));
    }

    [Fact]
    public async Task Release_refuses_unknown_conversations_and_the_wrong_agent()
    {
        await _desk.OnlineAsync("ann", 1, "support");
        await _desk.EnqueueAsync("c1", "support");

        var unknown = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.ReleaseAsync("nope"));
        Assert.Equal(StatusCode.NotFound, unknown.Status);
        var wrong = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.ReleaseAsync("c1", "bob"));
        Assert.Equal(StatusCode.FailedPrecondition, wrong.Status);
        Assert.Contains("assigned to ann", wrong.Message);
        Assert.Equal(["c1"], await _desk.ConversationsOfAsync("ann"));
    }

    [Fact]
    public async Task Enqueueing_again_returns_the_existing_decision_and_changes_nothing()
    {
        await _desk.OnlineAsync("ann", 1, "support");
        var first = await _desk.EnqueueAsync("c1", "support");
        var queued = await _desk.EnqueueAsync("c2", "support");

        Assert.Equal(first, await _desk.EnqueueAsync("c1", "support"));
        Assert.Equal(first, await _desk.EnqueueAsync("c1", "sales"));
        Assert.Equal(queued, await _desk.EnqueueAsync("c2", "support"));
        Assert.Equal(["c1"], await _desk.ConversationsOfAsync("ann"));
        Assert.Equal(["c2"], await _desk.QueueAsync("support"));
    }

    [Fact]
    public async Task Transfer_to_an_agent_moves_the_conversation_and_fills_the_freed_capacity()
    {
        await _desk.OnlineAsync("ann", 1, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("waiting", "support");
        await _desk.OnlineAsync("bob", 1, "billing");

        var moved = await _desk.TransferToAgentAsync("c1", "bob", fromAgent: "ann");

        Assert.Equal(("c1", true, "bob"), (moved.ConversationId, moved.Assigned, moved.AgentId));
        var refill = Assert.Single(moved.AssignedFromQueue);
        Assert.Equal(("waiting", "ann"), (refill.ConversationId, refill.AgentId));
        Assert.Equal(["c1"], await _desk.ConversationsOfAsync("bob"));
        Assert.Equal(["waiting"], await _desk.ConversationsOfAsync("ann"));
    }

    [Fact]
    public async Task Transfer_to_an_agent_who_cannot_take_it_fails_and_changes_nothing()
    {
        await _desk.OnlineAsync("ann", 2, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.OnlineAsync("full", 1, "support");
        await _desk.EnqueueAsync("c2", "support");
        await _desk.OnlineAsync("away", 3, "support");
        await _desk.AwayAsync("away");

        var atCapacity = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.TransferToAgentAsync("c1", "full"));
        Assert.Equal(StatusCode.FailedPrecondition, atCapacity.Status);
        Assert.Contains("at capacity (1 of 1)", atCapacity.Message);
        var isAway = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.TransferToAgentAsync("c1", "away"));
        Assert.Contains("is away", isAway.Message);
        var unknown = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.TransferToAgentAsync("c1", "ghost"));
        Assert.Equal(StatusCode.NotFound, unknown.Status);
        var notTheirs = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.TransferToAgentAsync("c1", "away", fromAgent: "full"));
        Assert.Contains("assigned to ann, not to full", notTheirs.Message);

        Assert.Equal(["c1"], await _desk.ConversationsOfAsync("ann"));
    }

    [Fact]
    public async Task Transfer_of_a_waiting_conversation_is_refused()
    {
        await _desk.EnqueueAsync("c1", "support");
        await _desk.OnlineAsync("ann", 1, "sales");

        var refusal = await Assert.ThrowsAsync<RoutingRefusal>(() => _desk.TransferToAgentAsync("c1", "ann"));
        Assert.Equal(StatusCode.FailedPrecondition, refusal.Status);
    }

    [Fact]
    public async Task Transfer_to_a_group_goes_to_its_least_loaded_free_agent()
    {
        await _desk.OnlineAsync("ann", 2, "support");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.OnlineAsync("bob", 2, "billing");
        await _desk.OnlineAsync("bea", 2, "billing");
        await _desk.EnqueueAsync("b1", "billing");

        var moved = await _desk.TransferToGroupAsync("c1", "billing");

        Assert.Equal(("billing", true), (moved.SkillGroup, moved.Assigned));
        Assert.NotEqual((await _desk.FindAsync("b1")).AgentId, moved.AgentId);
        Assert.Empty(await _desk.ConversationsOfAsync("ann"));
    }

    [Fact]
    public async Task Transfer_to_a_busy_group_waits_at_the_front_of_its_queue_and_does_not_bounce_back()
    {
        await _desk.OnlineAsync("ann", 1, "support", "billing");
        await _desk.EnqueueAsync("c1", "support");
        await _desk.EnqueueAsync("b-waiting", "billing");
        await _desk.EnqueueAsync("s-waiting", "support");

        var moved = await _desk.TransferToGroupAsync("c1", "billing", fromAgent: "ann");

        Assert.Equal(("billing", false, 1), (moved.SkillGroup, moved.Assigned, moved.QueuePosition));
        var refill = Assert.Single(moved.AssignedFromQueue);
        Assert.Equal(("b-waiting", "ann"), (refill.ConversationId, refill.AgentId));
        Assert.Equal(["c1"], await _desk.QueueAsync("billing"));
        Assert.Equal(1, await _desk.PositionAsync("c1"));
    }
}
