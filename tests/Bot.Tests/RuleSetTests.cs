using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Rules;
using Microsoft.Extensions.Logging.Abstractions;
using static CustomerService.Bot.Tests.SampleKnowledge;

namespace CustomerService.Bot.Tests;

public class RuleSetTests
{
    private static readonly RuleSet EnglishRules = new(English.Rules, English.Settings.CannedAnswers, TimeSpan.FromMilliseconds(50));
    private static readonly RuleSet ChineseRules = new(Chinese.Rules, Chinese.Settings.CannedAnswers, TimeSpan.FromMilliseconds(50));

    [Theory]
    [InlineData("Do you have a coupon for me?", "coupon")]               // coupon (5) and discount (20) both match: 5 wins
    [InlineData("Any DISCOUNT today?", "discount")]
    [InlineData("Is there a Black Friday coupon?", "black-friday")]       // the regex at priority 1 beats the keyword at 5
    [InlineData("what are your opening hours?!", "opening-hours")]       // a phrase ignores case and punctuation
    [InlineData("My order A123456 is late", "order-number")]
    [InlineData("When are you open", "hours-canned")]
    public void English_rules_answer_in_priority_order(string message, string expectedRule)
    {
        Assert.Equal(expectedRule, EnglishRules.Match(new RuleInput(message), NullLogger.Instance)?.Reference);
    }

    [Theory]
    [InlineData("双十一有优惠券吗", "double-11")]     // double-11 (1), coupon (20) and promotion (30) all match
    [InlineData("怎么领优惠券", "coupon")]            // coupon (20) before promotion (30): 优惠券 contains 优惠
    [InlineData("最近有什么活动", "promotion")]
    [InlineData("发票的抬头写错了", "invoice-title")]
    [InlineData("你好！", "hello")]
    [InlineData("ＤＯＵＢＬＥ 双11", "double-11")]
    public void Chinese_rules_answer_in_priority_order(string message, string expectedRule)
    {
        Assert.Equal(expectedRule, ChineseRules.Match(new RuleInput(message), NullLogger.Instance)?.Reference);
    }

    [Theory]
    [InlineData("What are your opening hours for returns?")]   // a phrase must be the whole message
    [InlineData("couponing is fun")]                           // Latin keywords match whole words only
    [InlineData("order A1234567")]                             // the regex wants exactly six digits
    public void Near_misses_do_not_match(string message)
    {
        Assert.Null(EnglishRules.Match(new RuleInput(message), NullLogger.Instance));
    }

    [Fact]
    public void Chinese_phrase_rule_needs_the_whole_message()
    {
        Assert.Null(ChineseRules.Match(new RuleInput("你好，我想问一下发货"), NullLogger.Instance));
    }

    [Fact]
    public void Rules_of_equal_priority_run_in_listed_order_and_disabled_rules_not_at_all()
    {
        BotRule[] rules =
        [
            Rule("first", 1, RuleKind.Keyword, "first", "refund") with { Enabled = false },
            Rule("second", 1, RuleKind.Keyword, "second", "refund"),
            Rule("third", 1, RuleKind.Keyword, "third", "refund"),
        ];
        var set = new RuleSet(rules, new Dictionary<string, BotAnswer>(), TimeSpan.FromMilliseconds(50));
        Assert.Equal("second", set.Match(new RuleInput("refund please"), NullLogger.Instance)?.Reference);
    }

    [Fact]
    public void A_regular_expression_that_runs_away_times_out_and_the_next_rule_answers()
    {
        BotRule[] rules =
        [
            Rule("catastrophic", 1, RuleKind.Regex, "never", "^(a+)+$"),
            Rule("fallback", 2, RuleKind.Keyword, "next rule", "aaaa"),
        ];
        var set = new RuleSet(rules, new Dictionary<string, BotAnswer>(), TimeSpan.FromMilliseconds(20));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var reply = set.Match(new RuleInput(new string('a', 40) + "! aaaa"), NullLogger.Instance);

        Assert.Equal("fallback", reply?.Reference);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"matching took {started.Elapsed}");
    }

    [Fact]
    public void A_rule_may_answer_with_a_canned_answer()
    {
        var reply = EnglishRules.Match(new RuleInput("when are you open"), NullLogger.Instance);
        Assert.Equal("We're open Monday to Friday, 9:00 to 17:00 Pacific time.", reply?.Text);
    }
}
