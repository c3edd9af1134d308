using System.Diagnostics;
using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Rules;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Live = CustomerService.LiveConfig;

namespace CustomerService.Bot.Tests;

/// <summary>
/// The Bot service subscribed to the real Admin's config stream (real PostgreSQL, NATS and Redis, the test playing
/// Session): bot rules, FAQ and tenant settings changed through the Admin API answer the next message.
/// </summary>
[Collection(LiveAdminCollection.Name)]
public sealed class LiveKnowledgeTests(LiveAdmin admin) : IAsyncLifetime
{
    private static readonly TimeSpan InEffectWithin = TimeSpan.FromSeconds(1);

    private readonly string _tenant = "live-" + Guid.NewGuid().ToString("N")[..8];
    private BotHost _bot = null!;
    private SessionStandIn _session = null!;

    public async Task InitializeAsync()
    {
        _bot = await BotHost.StartAsync(admin.Servers, settings: new Dictionary<string, string?> { ["LiveConfig:Address"] = admin.GrpcAddress });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bot.Services.GetRequiredService<ILiveConfig>().WaitUntilLoadedAsync(timeout.Token);
        _session = await SessionStandIn.StartAsync(admin.Servers);
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        await _bot.DisposeAsync();
    }

    private IBotKnowledge Knowledge => _bot.Services.GetRequiredService<IBotKnowledge>();

    /// <summary>Writes through the Admin API and waits until the Bot's knowledge of the tenant satisfies <paramref name="arrived"/>.</summary>
    private async Task<TimeSpan> PutAndWaitAsync(string section, string json, Func<TenantKnowledge, bool> arrived)
    {
        var clock = Stopwatch.StartNew();
        await admin.PutAsync(_tenant, section, json);
        await Eventually.UntilAsync(() => arrived(Knowledge.For(_tenant)), $"{section} reached the Bot", TimeSpan.FromSeconds(5),
            TimeSpan.FromMilliseconds(5));
        return clock.Elapsed;
    }

    private async Task<ChatMessage> AskAsync(string text, bool started = false)
    {
        await _session.SendCustomerMessageAsync(_tenant, "c-" + Guid.NewGuid().ToString("N")[..8], text, started);
        return (await _session.NextCommandAsync<PostMessageCommand>()).Message;
    }

    [Fact]
    public async Task Bot_rules_faq_and_tenant_settings_changed_through_the_admin_api_answer_the_next_message_within_a_second()
    {
        var took = new List<TimeSpan>
        {
            await PutAndWaitAsync(ConfigSections.TenantSettings, """
                {"bot_first":true,"time_zone":"America/Los_Angeles",
                 "business_hours":{"monday":[{"open":"09:00","close":"17:00"}],"closed_dates":["2026-12-25"]},
                 "handoff":{"max_bot_turns":2,"min_bot_confidence":0.3,"keywords":["转人工","human please"]}}
                """, k => k.Settings.BusinessHours.TimeZone == "America/Los_Angeles"),
            await PutAndWaitAsync(ConfigSections.BotRules, """
                {"welcome_message":"Welcome to the live shop","off_hours_answer":"We are closed, leave a message",
                 "rules":[{"name":"coupon","kind":"keyword","patterns":["coupon"],"priority":1,"answer":"Use code LIVE10",
                           "quick_replies":[{"label":"Thanks"},{"label":"Agent","text":"human please"}]},
                          {"name":"coupon-vip","kind":"keyword","patterns":["coupon"],"priority":5,"answer":"VIP code: GOLD"},
                          {"name":"order","kind":"regex","patterns":["\\bA\\d{6}\\b"],"answer":"Looking up your order"}]}
                """, k => k.Rules.Count == 3),
            await PutAndWaitAsync(ConfigSections.Faq, """
                {"entries":[{"id":"shipping","question":"How much does shipping cost?","answer":"Shipping is free over $50"}]}
                """, k => k.Faq.Count == 1),
        };

        // Monday 10:00 in Los Angeles: open. The welcome, then the higher priority of the two coupon rules.
        _bot.Clock.Now = BotHost.LosAngelesMorning;
        Assert.Equal("Welcome to the live shop", (await AskAsync("any coupon?", started: true)).Text);
        var coupon = (await _session.NextCommandAsync<PostMessageCommand>()).Message;
        Assert.Equal(("VIP code: GOLD", "coupon-vip"), (coupon.Text, coupon.Metadata[MetadataKeys.Reference]));
        Assert.Equal("Looking up your order", (await AskAsync("where is A123456?")).Text);
        var faq = await AskAsync("how much is shipping");
        Assert.Equal(("Shipping is free over $50", "faq"), (faq.Text, faq.Metadata[MetadataKeys.Source]));

        // A changed rule answers the next message.
        took.Add(await PutAndWaitAsync(ConfigSections.BotRules, """
            {"rules":[{"name":"coupon","kind":"keyword","patterns":["coupon"],"answer":"Coupons are paused",
                       "quick_replies":[{"label":"Agent","text":"human please"}]}]}
            """, k => k.Rules.Count == 1));
        var paused = await AskAsync("coupon");
        Assert.Equal("Coupons are paused", paused.Text);
        Assert.Equal(("Agent", "human please"), (paused.QuickReplies[0].Title, paused.QuickReplies[0].Payload));

        // The tenant's handoff words ask for a person.
        await _session.SendCustomerMessageAsync(_tenant, "c-handoff", "human please");
        await _session.NextCommandAsync<PostMessageCommand>();
        Assert.Equal("requested", (await _session.NextCommandAsync<HandoffCommand>()).Reason);

        // Tuesday is left out of the business hours: closed, so the off-hours answer greets; the document no longer
        // sets one, so it is the default in the customer's language.
        _bot.Clock.Now = BotHost.LosAngelesMorning.AddDays(1);
        Assert.StartsWith("Our agents are offline", (await AskAsync("hello", started: true)).Text);

        Assert.All(took, d => Assert.True(d < InEffectWithin, $"took {d.TotalMilliseconds:F0} ms"));
    }

    [Fact]
    public async Task A_tenant_without_live_documents_keeps_the_knowledge_of_configuration()
    {
        // BotHost loads "acme" into the configured store; Admin has nothing for it.
        await _session.SendCustomerMessageAsync("acme", "c-acme", "Is there a Black Friday coupon?");
        var coupon = await _session.NextCommandAsync<PostMessageCommand>();
        Assert.Equal("black-friday", coupon.Message.Metadata[MetadataKeys.Reference]);
        Assert.Same(_bot.Knowledge.For("acme"), Knowledge.For("acme"));
    }
}

/// <summary>How the three live documents read as the bot's knowledge.</summary>
public class LiveKnowledgeTranslationTests
{
    [Fact]
    public void Higher_priority_rules_run_first_and_quick_replies_send_their_text_or_label()
    {
        var knowledge = LiveBotKnowledge.Translate(new BotRules
        {
            Rules =
            [
                new Live.BotRule { Name = "low", Patterns = ["退款"], Priority = 1, Answer = "low" },
                new Live.BotRule { Name = "high", Patterns = ["退款"], Priority = 9, Answer = "high", QuickReplies = [new() { Label = "转人工" }] },
            ],
        }, null, null);
        var rules = new RuleSet(knowledge.Rules, knowledge.Settings.CannedAnswers, TimeSpan.FromSeconds(1));
        var reply = rules.Match(new RuleInput("我要退款"), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)!;
        Assert.Equal("high", reply.Text);
        Assert.Equal(("转人工", "转人工"), (reply.QuickReplies[0].Title, reply.QuickReplies[0].Payload));
        Assert.Empty(BotKnowledgeValidator.Validate(knowledge));
    }

    [Theory]
    [InlineData("2026-03-02T01:30:00Z", true)]    // Monday 09:30 in Shanghai
    [InlineData("2026-03-02T04:30:00Z", false)]   // 12:30, the lunch break
    [InlineData("2026-03-02T15:59:00Z", true)]    // 23:59: open until 24:00
    [InlineData("2026-03-03T03:00:00Z", false)]   // Tuesday: left out, closed
    [InlineData("2026-10-05T02:00:00Z", false)]   // a closed Monday
    public void Business_hours_are_read_in_the_tenants_time_zone(string utc, bool open)
    {
        var settings = new TenantSettings
        {
            TimeZone = "Asia/Shanghai",
            BusinessHours = new Live.BusinessHours
            {
                Monday = [new() { Open = "09:00", Close = "12:00" }, new() { Open = "13:00", Close = "24:00" }],
                ClosedDates = ["2026-10-05"],
            },
        };
        var hours = LiveBotKnowledge.Translate(null, null, settings).Settings.BusinessHours;
        Assert.Equal(open, new OpeningSchedule(hours).IsOpen(DateTimeOffset.Parse(utc)));
        Assert.Equal(settings.IsOpen(DateTimeOffset.Parse(utc)), open);
    }

    [Fact]
    public void Without_business_hours_the_bot_is_open_around_the_clock_and_with_empty_ones_never()
    {
        var always = LiveBotKnowledge.Translate(null, null, new TenantSettings()).Settings.BusinessHours;
        var never = LiveBotKnowledge.Translate(null, null, new TenantSettings { BusinessHours = new Live.BusinessHours() }).Settings.BusinessHours;
        var sunday = DateTimeOffset.Parse("2026-03-08T03:00:00Z");
        Assert.True(new OpeningSchedule(always).IsOpen(sunday));
        Assert.False(new OpeningSchedule(never).IsOpen(sunday));
    }

    [Fact]
    public void Tenant_settings_decide_the_handoff_and_welcome_texts_keep_their_defaults_unless_set()
    {
        var knowledge = LiveBotKnowledge.Translate(new BotRules { WelcomeMessage = "" }, null,
            new TenantSettings { Handoff = new HandoffThresholds { MaxBotTurns = 5, MinBotConfidence = 0.7, Keywords = ["找人"] } });
        Assert.Equal((5, 0.7), (knowledge.Settings.MaxUnansweredTurns, knowledge.Settings.ConfidenceThreshold));
        Assert.Equal(["找人"], knowledge.Settings.HandoffPhrases!);
        Assert.Equal("", knowledge.Settings.Welcome!.Text);   // set empty: no welcome
        Assert.Null(knowledge.Settings.OffHours);             // not set: the default in the customer's language
    }
}
