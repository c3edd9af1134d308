using CustomerService.Routing.Rules;

namespace CustomerService.Routing.Tests;

public sealed class RuleEvaluatorTests
{
    private static readonly TenantRoutingRules Shop = new()
    {
        DefaultSkillGroup = "general",
        Rules =
        [
            new RoutingRule { Name = "complaints", Order = 1, SkillGroup = "complaints", HighPriority = true, When = new() { Keywords = ["投诉", "complaint"] } },
            new RoutingRule { Name = "vip", Order = 2, SkillGroup = "vip", When = new() { CustomerTiers = ["VIP"] } },
            new RoutingRule { Name = "chinese pricing", Order = 3, SkillGroup = "sales-zh", When = new() { EntryPages = ["*/pricing*"], Languages = ["zh"] } },
            new RoutingRule { Name = "pricing", Order = 3, SkillGroup = "sales", When = new() { EntryPages = ["*/pricing*", "*/plans"] } },
            new RoutingRule { Name = "refunds", Order = 4, SkillGroup = "billing", When = new() { Keywords = ["refund", "退款"] } },
        ],
    };

    private static string? GroupFor(string page = "", string language = "", string tier = "", string message = "") =>
        RuleEvaluator.Match(Shop, new ConversationFacts(page, language, tier, message))?.SkillGroup;

    [Theory]
    [InlineData("I want a refund", "billing")]
    [InlineData("ＲＥＦＵＮＤ now", "billing")]
    [InlineData("我要退款", "billing")]
    [InlineData("我要投诉，还要退款", "complaints")]
    [InlineData("hello", null)]
    public void Keywords_of_the_first_message_match_in_any_case_and_width(string message, string? group) =>
        Assert.Equal(group, GroupFor(message: message));

    [Theory]
    [InlineData("https://shop.example.com/pricing?plan=pro", "", "sales")]
    [InlineData("https://shop.example.com/PRICING", "zh-CN", "sales-zh")]
    [InlineData("https://shop.example.com/pricing", "zh_TW", "sales-zh")]
    [InlineData("https://shop.example.com/pricing", "zha", "sales")]
    [InlineData("https://shop.example.com/plans", "en", "sales")]
    [InlineData("https://shop.example.com/plans/old", "en", null)]
    [InlineData("https://shop.example.com/help", "zh", null)]
    public void Entry_page_patterns_and_languages_must_all_match(string page, string language, string? group) =>
        Assert.Equal(group, GroupFor(page: page, language: language));

    [Fact]
    public void The_lowest_order_wins_and_ties_keep_the_listed_order()
    {
        Assert.Equal("vip", GroupFor(tier: "vip", message: "refund"));
        Assert.Equal("complaints", GroupFor(tier: "vip", message: "a complaint"));
        Assert.Equal("sales-zh", GroupFor(page: "/pricing", language: "zh"));
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("/a*b*c", "/aXbYc", true)]
    [InlineData("/a*b*c", "/aXcYb", false)]
    [InlineData("*abc*abc", "abcabc", true)]
    [InlineData("*abc*abc", "abc", false)]
    [InlineData("exact", "EXACT", true)]
    [InlineData("exact", "exactly", false)]
    public void Glob_patterns(string pattern, string text, bool matches) =>
        Assert.Equal(matches, RuleEvaluator.GlobMatches(pattern, text));
}
