using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

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
    public async Task The_sweeper_moves_due_conversations_and_announces_them_on_nats()
    {
        await using var natsServer = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(new NatsOpts { Url = natsServer.Url });
        var jetStream = new NatsJSContext(nats);
        await ChatStreams.EnsureAsync(jetStream);
        var desk = NewDesk();
        await EnqueueVipAsync(desk, "v1");
        await desk.OnlineAsync("gina", 1, "general");
        var subject = Subjects.ConversationEvent(desk.Tenant, "v1", "assigned");
        await using var events = await nats.SubscribeCoreAsync<byte[]>(subject);
        var sweeper = new OverflowSweeper(desk.Dispatcher, jetStream, new FixedOptions<RoutingOptions>(new RoutingOptions()), _time,
            NullLogger<OverflowSweeper>.Instance);

        await sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal("vip", (await desk.FindAsync("v1")).SkillGroup);
        _time.Advance(Wait);
        await sweeper.SweepAsync(CancellationToken.None);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var msg = await events.Msgs.ReadAsync(timeout.Token);
        var evt = ConversationEvent.Parser.ParseFrom(msg.Data);
        Assert.Equal((ConversationState.Assigned, "gina", "general"), (evt.State, evt.Assigned.AgentId, evt.Assigned.SkillGroup));
        Assert.Equal(("v1", desk.Tenant), (evt.ConversationId, evt.TenantId));
        var stream = await jetStream.GetStreamAsync(ChatStreams.Events);
        Assert.Equal(1, stream.Info.State.Messages);
    }
}
