using CustomerService.Bot.Conversations;
using CustomerService.Bot.Predictors;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using System.Diagnostics.Metrics;

namespace CustomerService.Bot.Tests;

/// <summary>The Bot service end to end over real NATS and Redis, with the test playing Session.</summary>
[Collection(ServersCollection.Name)]
public sealed class BotInboxWorkerTests(Servers servers) : IAsyncLifetime
{
    private BotHost _bot = null!;
    private SessionStandIn _session = null!;

    public async Task InitializeAsync()
    {
        _bot = await BotHost.StartAsync(servers);
        _session = await SessionStandIn.StartAsync(servers);
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        await _bot.DisposeAsync();
    }

    [Fact]
    public async Task Answers_by_rule_with_an_ordinary_bot_message_posted_through_Session()
    {
        var conversation = NewConversation();
        var customer = await _session.SendCustomerMessageAsync("acme", conversation, "Is there a Black Friday coupon?");

        var post = await _session.NextCommandAsync<PostMessageCommand>();

        var message = post.Message;
        Assert.Equal("acme", message.TenantId);
        Assert.Equal(conversation, message.ConversationId);
        Assert.Equal(new Participant { Kind = ParticipantKind.Bot, Id = "bot", DisplayName = "Acme Assistant" }, message.Sender);
        Assert.Equal("Black Friday deals run until Monday midnight.", message.Text);
        Assert.False(string.IsNullOrEmpty(message.MessageId));
        Assert.NotEqual(customer.MessageId, message.MessageId);
        Assert.Equal(customer.MessageId, message.Metadata[MetadataKeys.InReplyTo]);
        Assert.Equal("rule", message.Metadata[MetadataKeys.Source]);
        Assert.Equal("black-friday", message.Metadata[MetadataKeys.Reference]);
    }

    [Fact]
    public async Task Welcomes_an_opening_conversation_with_quick_replies_then_answers_its_first_question()
    {
        await _session.SendCustomerMessageAsync("acme", NewConversation(), "is shipping free?", started: true);

        var welcome = (await _session.NextCommandAsync<PostMessageCommand>()).Message;
        var answer = (await _session.NextCommandAsync<PostMessageCommand>()).Message;

        Assert.Equal(SampleKnowledge.English.Settings.Welcome!.Text, welcome.Text);
        Assert.Equal(["Track my order", "Talk to a person"], welcome.QuickReplies.Select(q => q.Title));
        Assert.Equal("canned:tracking", welcome.QuickReplies[0].Payload);
        Assert.Equal("faq", answer.Metadata[MetadataKeys.Source]);
        Assert.Equal("shipping-cost", answer.Metadata[MetadataKeys.Reference]);
        Assert.True(double.Parse(answer.Metadata[MetadataKeys.Confidence], System.Globalization.CultureInfo.InvariantCulture) >= 0.4);
    }

    [Fact]
    public async Task Hands_off_on_request_after_telling_the_customer_so_the_agent_sees_the_whole_exchange()
    {
        var conversation = NewConversation();
        await _session.SendCustomerMessageAsync("shop-cn", conversation, "你好");
        await _session.NextCommandAsync<PostMessageCommand>();
        _bot.Clock.Now = DateTimeOffset.Parse("2026-01-05T02:00:00Z");   // 10:00 in Shanghai

        await _session.SendCustomerMessageAsync("shop-cn", conversation, "转人工");
        var notice = await _session.NextCommandAsync<PostMessageCommand>();
        var handoff = await _session.NextCommandAsync<HandoffCommand>();

        Assert.Equal("正在为您转接人工客服，请稍候。", notice.Message.Text);
        Assert.Equal(new HandoffCommand { TenantId = "shop-cn", ConversationId = conversation, Reason = "requested" }, handoff);
        // What the agent will read: the whole exchange, the bot's messages numbered in between the customer's.
        var transcript = await Transcript("shop-cn", conversation);
        Assert.Equal(["你好", "您好！请问有什么可以帮您？", "转人工", "正在为您转接人工客服，请稍候。"], transcript.Select(m => m.Text));
        Assert.Equal([1L, 2, 3, 4], transcript.Select(m => m.Seq));
        Assert.Equal(ParticipantKind.Bot, transcript[3].Sender.Kind);
    }

    [Fact]
    public async Task Hands_off_after_unanswered_turns_counted_across_messages()
    {
        var conversation = NewConversation();

        await _session.SendCustomerMessageAsync("acme", conversation, "tell me a joke");
        Assert.Equal("fallback", (await _session.NextCommandAsync<PostMessageCommand>()).Message.Metadata[MetadataKeys.Source]);
        await _session.SendCustomerMessageAsync("acme", conversation, "who won the football game");
        Assert.Equal("fallback", (await _session.NextCommandAsync<PostMessageCommand>()).Message.Metadata[MetadataKeys.Source]);
        await _session.SendCustomerMessageAsync("acme", conversation, "I like turtles");

        Assert.Equal("handoffnotice", (await _session.NextCommandAsync<PostMessageCommand>()).Message.Metadata[MetadataKeys.Source]);
        var handoff = await _session.NextCommandAsync<HandoffCommand>();
        Assert.Equal("turns", handoff.Reason);
        Assert.Equal("support", handoff.SkillGroup);
    }

    [Fact]
    public async Task Answers_one_conversations_messages_in_order()
    {
        var conversation = NewConversation();
        var sent = new List<string>();
        for (var i = 0; i < 12; i++) sent.Add((await _session.SendCustomerMessageAsync("acme", conversation, $"coupon {i}?")).MessageId);

        var answered = new List<string>();
        for (var i = 0; i < sent.Count; i++) answered.Add((await _session.NextCommandAsync<PostMessageCommand>()).Message.Metadata[MetadataKeys.InReplyTo]);

        Assert.Equal(sent, answered);
    }

    [Fact]
    public async Task Counts_answers_and_handoffs_per_tenant()
    {
        var meters = _bot.Services.GetRequiredService<IMeterFactory>();
        using var byRule = new MetricCollector<long>(meters, BotMetrics.MeterName, "cs.bot.answered_by_rule");
        using var byModel = new MetricCollector<long>(meters, BotMetrics.MeterName, "cs.bot.answered_by_model");
        using var handedOff = new MetricCollector<long>(meters, BotMetrics.MeterName, "cs.bot.handed_off");

        await _session.SendCustomerMessageAsync("acme", NewConversation(), "coupon?");
        await _session.NextCommandAsync<PostMessageCommand>();
        await _session.SendCustomerMessageAsync("acme", NewConversation(), "is shipping free?");
        await _session.NextCommandAsync<PostMessageCommand>();
        await _session.SendCustomerMessageAsync("acme", NewConversation(), "agent please");
        await _session.NextCommandAsync<PostMessageCommand>();
        await _session.NextCommandAsync<HandoffCommand>();

        await Eventually.UntilAsync(() => handedOff.GetMeasurementSnapshot().Count == 1, "the handoff counted", TimeSpan.FromSeconds(2),
            TimeSpan.FromMilliseconds(20));
        var rule = Assert.Single(byRule.GetMeasurementSnapshot());
        Assert.Equal("acme", rule.Tags["tenant"]);
        var model = Assert.Single(byModel.GetMeasurementSnapshot());
        Assert.Equal("faq", model.Tags["predictor"]);
        var handoff = Assert.Single(handedOff.GetMeasurementSnapshot());
        Assert.Equal("acme", handoff.Tags["tenant"]);
        Assert.Equal("requested", handoff.Tags["reason"]);
    }

    [Fact]
    public async Task Ignores_messages_that_are_not_from_the_customer()
    {
        var conversation = NewConversation();
        var botMessage = SessionStandIn.Customer("acme", conversation, "coupon?");
        botMessage.Sender = new Participant { Kind = ParticipantKind.Bot, Id = "bot" };
        await _session.PublishToInboxAsync(new BotInboxMessage { Message = botMessage });
        var customer = await _session.SendCustomerMessageAsync("acme", conversation, "black friday?");

        var post = await _session.NextCommandAsync<PostMessageCommand>();

        Assert.Equal(customer.MessageId, post.Message.Metadata[MetadataKeys.InReplyTo]);
        // Absence: no answer to the bot's own message may follow; nothing would signal one, so give it 200 ms to show.
        await Task.Delay(200);
        Assert.False(_session.Commands.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_post_waits_for_Session_to_come_up()
    {
        var lateSession = await SessionStandIn.StartAsync(servers, answerCommands: false);
        await _session.DisposeAsync();
        _session = lateSession;

        await lateSession.SendCustomerMessageAsync("acme", NewConversation(), "coupon?");
        // Session stays away a while, so that the bot's post finds no one answering (what this test is about); the
        // stand-in sees nothing of a request nobody answers, so there is no signal to wait for.
        await Task.Delay(150);
        await lateSession.AnswerCommandsAsync();

        var post = await lateSession.NextCommandAsync<PostMessageCommand>();
        Assert.Equal("coupon", post.Message.Metadata[MetadataKeys.Reference]);
    }

    private async Task<List<ChatMessage>> Transcript(string tenant, string conversation)
    {
        var values = await servers.RedisConnection.GetDatabase().ListRangeAsync(RedisKeys.RecentMessages(tenant, conversation));
        return values.Select(v => ChatMessage.Parser.ParseFrom((byte[])v!)).ToList();
    }

    private static string NewConversation() => "c-" + Guid.NewGuid().ToString("N");
}

/// <summary>Context loading and predictor plug-in: a company predictor sees the last five messages and the profile.</summary>
[Collection(ServersCollection.Name)]
public sealed class PluggedPredictorTests(Servers servers)
{
    [Fact]
    public async Task A_registered_predictor_gets_the_last_five_messages_and_the_customer_profile()
    {
        await using var bot = await BotHost.StartAsync(servers, services => services.AddReplyPredictor<ContextEchoPredictor>());
        await using var session = await SessionStandIn.StartAsync(servers);
        var conversation = "c-" + Guid.NewGuid().ToString("N");
        for (var i = 1; i <= 6; i++) await session.AppendAsync(SessionStandIn.Customer("acme", conversation, $"earlier {i}"));
        var profile = new CustomerContext { Profile = new CustomerProfile { CustomerId = "c-9", Name = "Li Lei", Tier = "vip" } };
        await servers.RedisConnection.GetDatabase().StringSetAsync(RedisKeys.CustomerContext("acme", conversation), profile.ToByteArray());

        await session.SendCustomerMessageAsync("acme", conversation, "what do you know about me?");
        var post = await session.NextCommandAsync<PostMessageCommand>();

        Assert.Equal("earlier 3|earlier 4|earlier 5|earlier 6|what do you know about me? / Li Lei (vip)", post.Message.Text);
        Assert.Equal("echo", post.Message.Metadata[MetadataKeys.Source]);
    }

    [Fact]
    public async Task Replicas_share_the_inbox_as_a_queue_group_and_each_message_is_answered_once()
    {
        await using var first = await BotHost.StartAsync(servers);
        await using var second = await BotHost.StartAsync(servers);
        await using var session = await SessionStandIn.StartAsync(servers);
        using var firstCount = new MetricCollector<long>(first.Services.GetRequiredService<IMeterFactory>(), BotMetrics.MeterName, "cs.bot.answered_by_rule");
        using var secondCount = new MetricCollector<long>(second.Services.GetRequiredService<IMeterFactory>(), BotMetrics.MeterName, "cs.bot.answered_by_rule");

        var sent = new HashSet<string>();
        for (var i = 0; i < 40; i++) sent.Add((await session.SendCustomerMessageAsync("acme", "c-" + Guid.NewGuid().ToString("N"), "coupon?")).MessageId);
        var answered = new List<string>();
        for (var i = 0; i < sent.Count; i++) answered.Add((await session.NextCommandAsync<PostMessageCommand>()).Message.Metadata[MetadataKeys.InReplyTo]);
        // Absence: a second answer to any message would arrive after the first ones; 300 ms for it to show.
        await Task.Delay(300);

        Assert.Equal(sent.Order(), answered.Order());
        Assert.False(session.Commands.Reader.TryRead(out _), "a message was answered twice");
        Assert.Equal(40, firstCount.GetMeasurementSnapshot().Count + secondCount.GetMeasurementSnapshot().Count);
        Assert.NotEmpty(firstCount.GetMeasurementSnapshot());
        Assert.NotEmpty(secondCount.GetMeasurementSnapshot());
    }

    /// <summary>A stand-in for a company's own model: answers with what it was given.</summary>
    private sealed class ContextEchoPredictor : IReplyPredictor
    {
        public ValueTask<Prediction> PredictAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            var profile = request.Customer?.Profile;
            var answer = string.Join("|", request.RecentMessages.Select(m => m.Text)) + $" / {profile?.Name} ({profile?.Tier})";
            return ValueTask.FromResult(Prediction.Answered(answer, 1, "echo"));
        }
    }
}
