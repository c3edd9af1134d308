using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Predictors;
using CustomerService.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static CustomerService.Bot.Tests.SampleKnowledge;

namespace CustomerService.Bot.Tests;

[Collection(ServersCollection.Name)]
public class BotEngineTests
{
    // Monday 5 January 2026, 10:00 in Los Angeles (18:00 UTC) and 02:00 Tuesday in Shanghai.
    private static readonly DateTimeOffset LosAngelesMorning = DateTimeOffset.Parse("2026-01-05T18:00:00Z");
    // Monday 5 January 2026, 10:00 in Shanghai (02:00 UTC) and 18:00 Sunday in Los Angeles.
    private static readonly DateTimeOffset ShanghaiMorning = DateTimeOffset.Parse("2026-01-05T02:00:00Z");

    private readonly Servers _servers;
    private readonly BotKnowledgeStore _knowledge = new();
    private readonly Clock _time = new(LosAngelesMorning);
    private readonly BotEngine _engine;

    public BotEngineTests(Servers servers)
    {
        _servers = servers;
        _knowledge.Replace("acme", English);
        _knowledge.Replace("shop-cn", Chinese);
        var faq = new FaqRetrievalPredictor(Options.Create(new FaqPredictorOptions()), _knowledge);
        _engine = new BotEngine(_knowledge, faq, Turns, _time, NullLogger<BotEngine>.Instance);
    }

    private RedisUnansweredTurns Turns => new(_servers.RedisConnection, Options.Create(new BotOptions()));

    [Fact]
    public async Task Welcomes_a_conversation_that_opens_in_business_hours_in_the_tenants_time_zone()
    {
        var english = await HandleAsync("acme", "", started: true);
        _time.Now = ShanghaiMorning;
        var chinese = await HandleAsync("shop-cn", "", started: true);

        var welcome = Assert.Single(english.Replies);
        Assert.Equal(ReplyKind.Welcome, welcome.Kind);
        Assert.Equal(English.Settings.Welcome!.Text, welcome.Text);
        Assert.Equal(["canned:tracking", "agent"], welcome.QuickReplies.Select(q => q.Payload));
        Assert.Equal("Acme Assistant", english.BotName);
        Assert.Equal(Chinese.Settings.Welcome!.Text, Assert.Single(chinese.Replies).Text);
        Assert.Null(english.Handoff);
    }

    [Fact]
    public async Task Answers_an_opening_outside_business_hours_with_the_off_hours_message()
    {
        // 10:00 in Shanghai is 18:00 the day before in Los Angeles; National Day closes the Chinese shop all day.
        _time.Now = ShanghaiMorning;
        var english = await HandleAsync("acme", "", started: true);
        _time.Now = DateTimeOffset.Parse("2026-10-01T04:00:00Z");
        var chinese = await HandleAsync("shop-cn", "", started: true);

        Assert.Equal(ReplyKind.OffHours, Assert.Single(english.Replies).Kind);
        Assert.Equal(English.Settings.OffHours!.Text, english.Replies[0].Text);
        Assert.Equal(Chinese.Settings.OffHours!.Text, Assert.Single(chinese.Replies).Text);
    }

    [Fact]
    public async Task Greets_and_answers_a_first_message_that_has_a_question()
    {
        var decision = await HandleAsync("acme", "Is there a Black Friday coupon?", started: true);

        Assert.Equal([ReplyKind.Welcome, ReplyKind.Rule], decision.Replies.Select(r => r.Kind));
        Assert.Equal("black-friday", decision.Replies[1].Reference);
    }

    [Fact]
    public async Task A_tenant_without_a_welcome_gets_the_default_in_the_customers_language()
    {
        var english = await HandleAsync("unconfigured", "", started: true, language: "en-US");
        var chinese = await HandleAsync("unconfigured", "", started: true, language: "zh-CN");

        Assert.StartsWith("Hello", Assert.Single(english.Replies).Text);
        Assert.StartsWith("您好", Assert.Single(chinese.Replies).Text);
    }

    [Theory]
    [InlineData("acme", "Do you have a coupon?", "coupon")]
    [InlineData("acme", "Is there a Black Friday coupon?", "black-friday")]
    [InlineData("shop-cn", "双十一有优惠券吗", "double-11")]
    [InlineData("shop-cn", "怎么领优惠券", "coupon")]
    public async Task Rules_answer_before_the_model(string tenant, string text, string rule)
    {
        _time.Now = tenant == "acme" ? LosAngelesMorning : ShanghaiMorning;
        var decision = await HandleAsync(tenant, text);

        var reply = Assert.Single(decision.Replies);
        Assert.Equal(ReplyKind.Rule, reply.Kind);
        Assert.Equal(rule, reply.Reference);
        Assert.Null(decision.Handoff);
    }

    [Fact]
    public async Task A_quick_reply_payload_gets_its_canned_answer()
    {
        var decision = await HandleAsync("acme", "canned:tracking");

        var reply = Assert.Single(decision.Replies);
        Assert.Equal(ReplyKind.Canned, reply.Kind);
        Assert.Equal(English.Settings.CannedAnswers["tracking"].Text, reply.Text);
    }

    [Fact]
    public async Task The_faq_model_answers_what_no_rule_covers()
    {
        var decision = await HandleAsync("acme", "is shipping free?");

        var reply = Assert.Single(decision.Replies);
        Assert.Equal(ReplyKind.Model, reply.Kind);
        Assert.Equal("faq", reply.Source);
        Assert.Equal("shipping-cost", reply.Reference);
        Assert.InRange(reply.Confidence!.Value, 0.4, 1);
    }

    [Theory]
    [InlineData("acme", "I want to talk to a real person")]
    [InlineData("acme", "AGENT please")]
    [InlineData("acme", "Can I speak to a human? I have a coupon question")]   // asking for a person beats the coupon rule
    [InlineData("shop-cn", "转人工")]
    [InlineData("shop-cn", "我要人工客服")]
    [InlineData("shop-cn", "人工")]
    public async Task Hands_off_when_the_customer_asks_for_a_person(string tenant, string text)
    {
        _time.Now = tenant == "acme" ? LosAngelesMorning : ShanghaiMorning;
        var decision = await HandleAsync(tenant, text);

        Assert.Equal(HandoffReasons.Requested, decision.Handoff?.Reason);
        Assert.Equal(ReplyKind.HandoffNotice, Assert.Single(decision.Replies).Kind);
        Assert.Equal(tenant == "acme" ? "support" : "", decision.Handoff!.SkillGroup);
    }

    [Theory]
    [InlineData("acme", "Are you an agency or a manufacturer?")]
    [InlineData("shop-cn", "你们用人工智能回答吗")]
    public async Task Words_that_only_contain_a_handoff_phrase_do_not_hand_off(string tenant, string text)
    {
        _time.Now = tenant == "acme" ? LosAngelesMorning : ShanghaiMorning;
        Assert.NotEqual(HandoffReasons.Requested, (await HandleAsync(tenant, text)).Handoff?.Reason);
    }

    [Fact]
    public async Task Outside_business_hours_a_request_for_a_person_gets_the_off_hours_answer()
    {
        _time.Now = ShanghaiMorning;   // Sunday evening in Los Angeles
        var decision = await HandleAsync("acme", "I need a human");

        Assert.Null(decision.Handoff);
        Assert.Equal(ReplyKind.OffHours, Assert.Single(decision.Replies).Kind);
    }

    [Fact]
    public async Task Hands_off_when_the_models_confidence_is_below_the_tenants_threshold()
    {
        _knowledge.Replace("strict", English with { Settings = English.Settings with { ConfidenceThreshold = 0.95 } });

        var lenient = await HandleAsync("acme", "is shipping free?");
        var strict = await HandleAsync("strict", "is shipping free?");

        Assert.Null(lenient.Handoff);
        Assert.Equal(HandoffReasons.LowConfidence, strict.Handoff?.Reason);
        Assert.Equal(ReplyKind.HandoffNotice, Assert.Single(strict.Replies).Kind);
    }

    [Fact]
    public async Task Hands_off_after_the_tenants_number_of_unanswered_turns()
    {
        var conversation = NewConversation();

        var first = await HandleAsync("acme", "tell me a joke", conversation: conversation);
        var second = await HandleAsync("acme", "who won the football game yesterday", conversation: conversation);
        var third = await HandleAsync("acme", "I like turtles", conversation: conversation);

        Assert.Equal(ReplyKind.Fallback, Assert.Single(first.Replies).Kind);
        Assert.Null(first.Handoff);
        Assert.Equal(ReplyKind.Fallback, Assert.Single(second.Replies).Kind);
        Assert.Equal(HandoffReasons.Turns, third.Handoff?.Reason);
    }

    [Fact]
    public async Task An_answered_turn_starts_the_count_again()
    {
        var conversation = NewConversation();

        await HandleAsync("acme", "tell me a joke", conversation: conversation);
        await HandleAsync("acme", "who won the football game yesterday", conversation: conversation);
        await HandleAsync("acme", "is shipping free?", conversation: conversation);
        var afterAnswer = await HandleAsync("acme", "I like turtles", conversation: conversation);
        var next = await HandleAsync("acme", "tell me a joke", conversation: conversation);

        Assert.Null(afterAnswer.Handoff);
        Assert.Null(next.Handoff);
    }

    [Fact]
    public async Task The_unanswered_count_lives_in_Redis_with_an_expiry()
    {
        var conversation = NewConversation();
        await HandleAsync("acme", "tell me a joke", conversation: conversation);

        var key = RedisUnansweredTurns.Key("acme", conversation);
        var db = _servers.RedisConnection.GetDatabase();
        Assert.Equal(1, (long)await db.StringGetAsync(key));
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task Counting_turns_can_be_turned_off()
    {
        _knowledge.Replace("patient", English with { Settings = English.Settings with { MaxUnansweredTurns = 0 } });
        var conversation = NewConversation();

        for (var i = 0; i < 5; i++)
        {
            var decision = await HandleAsync("patient", "tell me a joke", conversation: conversation);
            Assert.Null(decision.Handoff);
        }
    }

    [Fact]
    public async Task Changed_rules_and_faq_take_effect_on_the_next_message()
    {
        _knowledge.Replace("live", English);
        Assert.Equal(ReplyKind.Fallback, Assert.Single((await HandleAsync("live", "can you gift wrap it")).Replies).Kind);

        _knowledge.Replace("live", English with { Rules = [.. English.Rules, Rule("gift-wrap", 3, RuleKind.Keyword, "Gift wrapping is free.", "gift wrap")] });
        Assert.Equal("gift-wrap", Assert.Single((await HandleAsync("live", "can you gift wrap it")).Replies).Reference);

        _knowledge.Replace("live", English with { Faq = [Faq("vouchers", "Do you sell vouchers?", "Vouchers from $5.")] });
        var fromFaq = Assert.Single((await HandleAsync("live", "can I buy a voucher")).Replies);
        Assert.Equal("vouchers", fromFaq.Reference);
    }

    [Fact]
    public async Task Invalid_knowledge_is_refused_and_the_previous_version_keeps_answering()
    {
        _knowledge.Replace("careful", English);
        var broken = English with { Rules = [Rule("broken", 1, RuleKind.Regex, "x", "(unclosed")] };

        var error = Assert.Throws<InvalidBotKnowledgeException>(() => _knowledge.Replace("careful", broken));

        Assert.Contains("broken", error.Message);
        Assert.Equal("coupon", Assert.Single((await HandleAsync("careful", "coupon?")).Replies).Reference);
    }

    private static string NewConversation() => "c-" + Guid.NewGuid().ToString("N");

    private ValueTask<BotDecision> HandleAsync(string tenant, string text, bool started = false, string? conversation = null, string language = "") =>
        _engine.HandleAsync(new BotTurn
        {
            TenantId = tenant,
            Message = new ChatMessage
            {
                MessageId = Guid.NewGuid().ToString("N"),
                TenantId = tenant,
                ConversationId = conversation ?? NewConversation(),
                Sender = new Participant { Kind = ParticipantKind.Customer, Id = "v1" },
                Text = text,
            },
            ConversationStarted = started,
            Language = language,
        }, CancellationToken.None);
}
