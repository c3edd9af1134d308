using System.Text.Json;

namespace CustomerService.LiveConfig.Tests;

public class SectionTests
{
    private static ValidationErrors Validate(string section, string json)
    {
        var descriptor = ConfigSections.Get(section);
        return descriptor.Validate(descriptor.Parse(json, strict: true));
    }

    [Fact]
    public void Documents_use_snake_case_and_string_enums_both_ways()
    {
        var descriptor = ConfigSections.Get(ConfigSections.SensitiveWords);
        const string json = """{"lists":[{"name":"fraud","policy":"block","words":["转账"]}]}""";

        var words = (SensitiveWords)descriptor.Parse(json, strict: true);

        Assert.Equal(WordPolicy.Block, Assert.Single(words.Lists).Policy);
        Assert.Equal(json, descriptor.Serialize(words));
        Assert.Contains("\"default_agent_capacity\":5", ConfigSections.Get(ConfigSections.RoutingRules).Serialize(RoutingRules.Empty));
    }

    [Fact]
    public void Strict_parsing_rejects_unknown_fields_that_subscribers_ignore()
    {
        var descriptor = ConfigSections.Get(ConfigSections.RoutingRules);
        const string json = """{"default_group":"sales","rules":[{"name":"vip","skill_group":"vip","priorty":5}]}""";

        var error = Assert.Throws<JsonException>(() => descriptor.Parse(json, strict: true));
        var lenient = (RoutingRules)descriptor.Parse(json, strict: false);

        Assert.Contains("priorty", error.Message);
        Assert.Equal("vip", Assert.Single(lenient.Rules).SkillGroup);
    }

    [Fact]
    public void Nulls_and_wrong_types_are_rejected_with_their_path()
    {
        var descriptor = ConfigSections.Get(ConfigSections.FeatureFlags);

        var nullList = Assert.Throws<JsonException>(() => descriptor.Parse("""{"flags":null}""", strict: true));
        var wrongType = Assert.Throws<JsonException>(() => descriptor.Parse("""{"flags":[{"key":"a","enabled":"yes"}]}""", strict: true));

        Assert.Equal("$.flags", nullList.Path);
        Assert.Equal("$.flags[0].enabled", wrongType.Path);
    }

    [Theory]
    [InlineData(ConfigSections.RoutingRules, """{"rules":[{"name":"a","skill_group":"vip","priority":101}]}""", "rules[0].priority")]
    [InlineData(ConfigSections.RoutingRules, """{"rules":[{"name":"a","skill_group":""}]}""", "rules[0].skill_group")]
    [InlineData(ConfigSections.RoutingRules, """{"rules":[{"name":"a","skill_group":"vip","overflow":{"after_seconds":30,"to_group":"vip"}}]}""", "rules[0].overflow.to_group")]
    [InlineData(ConfigSections.RoutingRules, """{"rules":[{"name":"a","skill_group":"x"},{"name":"a","skill_group":"y"}]}""", "rules[1].name")]
    [InlineData(ConfigSections.RoutingRules, """{"rules":[{"name":"a","skill_group":"x","match":{"keywords":["！？"]}}]}""", "rules[0].match.keywords[0]")]
    [InlineData(ConfigSections.RoutingRules, """{"default_agent_capacity":0}""", "default_agent_capacity")]
    [InlineData(ConfigSections.SensitiveWords, """{"lists":[{"name":"a","policy":"block","words":["  。"]}]}""", "lists[0].words[0]")]
    [InlineData(ConfigSections.SensitiveWords, """{"lists":[{"name":"a","words":["x"]}]}""", "lists[0].policy")]
    [InlineData(ConfigSections.SensitiveWords, """{"lists":[{"name":"a","policy":7,"words":["x"]}]}""", "lists[0].policy")]
    [InlineData(ConfigSections.BotRules, """{"rules":[{"name":"r","kind":"regex","patterns":["(unclosed"],"answer":"a"}]}""", "rules[0].patterns[0]")]
    [InlineData(ConfigSections.BotRules, """{"rules":[{"name":"r","patterns":["退款"],"answer":""}]}""", "rules[0].answer")]
    [InlineData(ConfigSections.FeatureFlags, """{"flags":[{"key":"a","percentage":150}]}""", "flags[0].percentage")]
    [InlineData(ConfigSections.FeatureFlags, """{"flags":[{"key":"Has Space"}]}""", "flags[0].key")]
    [InlineData(ConfigSections.CannedReplies, """{"groups":[{"name":"g","replies":[{"shortcut":"/hi","text":"a"},{"shortcut":"/HI","text":"b"}]}]}""", "groups[0].replies[1].shortcut")]
    [InlineData(ConfigSections.TenantSettings, """{"time_zone":"Mars/Olympus"}""", "time_zone")]
    [InlineData(ConfigSections.TenantSettings, """{"business_hours":{"monday":[{"open":"18:00","close":"09:00"}]}}""", "business_hours.monday[0].close")]
    [InlineData(ConfigSections.TenantSettings, """{"business_hours":{"friday":[{"open":"9am","close":"18:00"}]}}""", "business_hours.friday[0].open")]
    [InlineData(ConfigSections.Faq, """{"entries":[{"id":"1","question":"q","answer":""}]}""", "entries[0].answer")]
    public void Invalid_documents_name_the_bad_field(string section, string json, string field)
    {
        var errors = Validate(section, json);

        Assert.False(errors.IsValid);
        Assert.Contains(field, errors.ToDictionary().Keys);
    }

    [Fact]
    public void A_complete_valid_document_of_every_section_passes()
    {
        Assert.True(Validate(ConfigSections.RoutingRules, """
            {"default_group":"general","default_agent_capacity":6,"rules":[
              {"name":"vip","match":{"customer_tiers":["vip"]},"skill_group":"vip","priority":90,"overflow":{"after_seconds":60,"to_group":"general"}}]}
            """).IsValid);
        Assert.True(Validate(ConfigSections.BotRules, """
            {"welcome_message":"您好","off_hours_answer":"下班了","rules":[
              {"name":"refund","kind":"regex","patterns":["退(款|货)"],"priority":5,"answer":"请提供订单号","quick_replies":[{"label":"转人工"}]}]}
            """).IsValid);
        Assert.True(Validate(ConfigSections.TenantSettings, """
            {"bot_first":true,"time_zone":"Asia/Shanghai","business_hours":{"monday":[{"open":"09:00","close":"24:00"}],"closed_dates":["2026-10-01"]},
             "handoff":{"max_bot_turns":2,"min_bot_confidence":0.7,"keywords":["人工"]}}
            """).IsValid);
        foreach (var section in ConfigSections.All) Assert.True(section.Validate(section.Empty).IsValid, section.Name);
    }

    [Fact]
    public void Routing_takes_the_first_matching_rule_else_the_default()
    {
        var rules = new RoutingRules
        {
            DefaultGroup = "general",
            Rules =
            [
                new RoutingRule { Name = "vip", Match = new RoutingMatch { CustomerTiers = ["VIP"] }, SkillGroup = "vip", Priority = 90,
                                  Overflow = new RoutingOverflow { AfterSeconds = 60, ToGroup = "general" } },
                new RoutingRule { Name = "refunds", Match = new RoutingMatch { Keywords = ["退款", "refund"] }, SkillGroup = "after-sales", Priority = 50 },
                new RoutingRule { Name = "english pricing", Match = new RoutingMatch { EntryPages = ["/pricing*"], Languages = ["en"] }, SkillGroup = "sales-en" },
            ],
        };

        var vip = rules.Decide(new RoutingRequest("/pricing/pro", "en-US", "vip", "我要退款"));
        Assert.Equal(("vip", 90, "vip"), (vip.SkillGroup, vip.Priority, vip.RuleName));
        Assert.Equal(60, vip.Overflow!.AfterSeconds);
        Assert.Equal("after-sales", rules.Decide(new RoutingRequest("/", "zh-CN", null, "请问怎么退 款？")).SkillGroup);
        Assert.Equal("after-sales", rules.Decide(new RoutingRequest("/", "en", "regular", "I want a REFUND")).SkillGroup);
        Assert.Equal("sales-en", rules.Decide(new RoutingRequest("/pricing", "en-GB", null, "hi")).SkillGroup);
        Assert.Equal("sales-en", rules.Decide(new RoutingRequest("/PRICING/teams", "EN", null, "hi")).SkillGroup);
        var fallback = rules.Decide(new RoutingRequest("/pricing", "english", null, "hi"));
        Assert.Equal(("general", 0, null), (fallback.SkillGroup, fallback.Priority, fallback.RuleName));
        Assert.Equal("general", rules.Decide(new RoutingRequest(null, null, null, null)).SkillGroup);
    }

    [Fact]
    public void Business_hours_follow_the_tenant_time_zone_and_closed_dates()
    {
        var settings = new TenantSettings
        {
            TimeZone = "Asia/Shanghai",
            BusinessHours = new BusinessHours
            {
                Monday = [new OpeningHours { Open = "09:00", Close = "12:00" }, new OpeningHours { Open = "13:00", Close = "18:00" }],
                ClosedDates = ["2026-10-05"],
            },
        };

        // 2026-09-28 is a Monday; Shanghai is UTC+8.
        Assert.True(settings.IsOpen(new DateTimeOffset(2026, 9, 28, 1, 0, 0, TimeSpan.Zero)));   // 09:00 local
        Assert.False(settings.IsOpen(new DateTimeOffset(2026, 9, 28, 4, 30, 0, TimeSpan.Zero))); // 12:30 local, lunch
        Assert.False(settings.IsOpen(new DateTimeOffset(2026, 9, 28, 10, 0, 0, TimeSpan.Zero))); // 18:00 local
        Assert.False(settings.IsOpen(new DateTimeOffset(2026, 9, 29, 2, 0, 0, TimeSpan.Zero)));  // Tuesday: no hours
        Assert.False(settings.IsOpen(new DateTimeOffset(2026, 10, 5, 2, 0, 0, TimeSpan.Zero)));  // a Monday, but closed
        Assert.True(TenantSettings.Empty.IsOpen(DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Canned_replies_are_found_by_shortcut_then_text()
    {
        var replies = new CannedReplies
        {
            Groups =
            [
                new CannedReplyGroup { Name = "售后", Replies = [new CannedReply { Shortcut = "/refund", Text = "退款将在3个工作日内到账" }] },
                new CannedReplyGroup { Name = "greetings", Replies = [new CannedReply { Shortcut = "/hi", Title = "Hello", Text = "您好，有什么可以帮您？" },
                                                                      new CannedReply { Shortcut = "/ref", Text = "请提供订单号" }] },
            ],
        };

        Assert.Equal(["/refund", "/ref"], replies.Search("/ref", 10).Select(r => r.Reply.Shortcut));
        Assert.Equal("售后", Assert.Single(replies.Search("到账", 10)).Group);
        Assert.Equal("/hi", Assert.Single(replies.Search("HELLO", 10)).Reply.Shortcut);
        Assert.Single(replies.Search("", 1));
    }

    [Theory]
    [InlineData("""{"allowed_origins":["https://shop.example.com/path"]}""", "allowed_origins[0]")]
    [InlineData("""{"allowed_origins":["shop.example.com"]}""", "allowed_origins[0]")]
    [InlineData("""{"allowed_origins":["ftp://shop.example.com"]}""", "allowed_origins[0]")]
    [InlineData("""{"allowed_origins":["https://ok.example.com","https://user@shop.example.com"]}""", "allowed_origins[1]")]
    [InlineData("""{"allowed_origins":["https://shop.*.example.com"]}""", "allowed_origins[0]")]
    [InlineData("""{"allowed_origins":["https://*.com"]}""", "allowed_origins[0]")]
    [InlineData("""{"allowed_origins":[""]}""", "allowed_origins[0]")]
    [InlineData("""{"suspended":true,"suspended_reason":"%500%"}""", "suspended_reason")]
    [InlineData("""{"rate_limits":{"per_subject":{"token_limit":0,"tokens_per_period":1}}}""", "rate_limits.per_subject.token_limit")]
    [InlineData("""{"rate_limits":{"per_tenant":{"token_limit":10,"tokens_per_period":1000001}}}""", "rate_limits.per_tenant.tokens_per_period")]
    [InlineData("""{"rate_limits":{"per_tenant":{"token_limit":10,"tokens_per_period":5,"period_seconds":0}}}""", "rate_limits.per_tenant.period_seconds")]
    [InlineData("""{"rate_limits":{"visitor_tokens":{"token_limit":0,"tokens_per_period":1}}}""", "rate_limits.visitor_tokens.token_limit")]
    [InlineData("""{"max_sockets":0}""", "max_sockets")]
    [InlineData("""{"max_sockets":1000001}""", "max_sockets")]
    public void Gateway_settings_name_the_field_that_is_wrong(string json, string field)
    {
        var errors = Validate(ConfigSections.Gateway, json.Replace("%500%", new string('x', 501))).ToDictionary();

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Gateway_settings_accept_origins_with_ports_and_subdomain_wildcards_and_match_them_as_browsers_send_them()
    {
        var json = """
            {"suspended":false,"allowed_origins":["https://shop.example.com","http://localhost:3000","https://*.example.org"],
             "rate_limits":{"per_subject":{"token_limit":20,"tokens_per_period":10,"period_seconds":1},"per_tenant":{"token_limit":500,"tokens_per_period":250},
                            "visitor_tokens":{"token_limit":100,"tokens_per_period":5}},
             "max_sockets":800}
            """;
        var settings = (GatewaySettings)ConfigSections.Get(ConfigSections.Gateway).Parse(json, strict: true);

        Assert.True(ConfigSections.Get(ConfigSections.Gateway).Validate(settings).IsValid);
        Assert.Equal(1, settings.RateLimits.PerTenant!.PeriodSeconds);
        Assert.Equal(100, settings.RateLimits.VisitorTokens!.TokenLimit);
        Assert.Equal(800, settings.MaxSockets);
        bool Allowed(string origin) => WebOrigin.TryParse(origin, out var o)
            && settings.AllowedOrigins.Any(e => WebOrigin.TryParsePattern(e, out var allowed, out _) && allowed.Matches(o));
        Assert.True(Allowed("https://shop.example.com"));
        Assert.True(Allowed("https://SHOP.example.com:443"));
        Assert.True(Allowed("http://localhost:3000"));
        Assert.True(Allowed("https://m.example.org"));
        Assert.True(Allowed("https://a.b.example.org"));
        Assert.False(Allowed("https://example.org"));          // the wildcard is for subdomains
        Assert.False(Allowed("https://evilexample.org"));
        Assert.False(Allowed("http://shop.example.com"));      // another scheme is another origin
        Assert.False(Allowed("https://shop.example.com:8443"));
        Assert.False(Allowed("http://localhost:3001"));
        Assert.False(Allowed("https://shop.example.com.evil.net"));
        Assert.False(Allowed("null"));
    }
}
