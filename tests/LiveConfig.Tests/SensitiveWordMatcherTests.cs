namespace CustomerService.LiveConfig.Tests;

public class SensitiveWordMatcherTests
{
    private static SensitiveWordMatcher Matcher(params (string List, WordPolicy Policy, string[] Words)[] lists) =>
        SensitiveWordMatcher.Build(new SensitiveWords
        {
            Lists = [.. lists.Select(l => new SensitiveWordList { Name = l.List, Policy = l.Policy, Words = l.Words })],
        });

    [Fact]
    public void Finds_chinese_words_with_their_spans()
    {
        var matcher = Matcher(("abuse", WordPolicy.Mask, ["傻逼", "垃圾"]));
        var text = "你这个傻逼，卖的什么垃圾东西";

        var scan = matcher.Scan(text);

        Assert.Equal(WordPolicy.Mask, scan.Policy);
        Assert.Collection(scan.Hits,
            h => Assert.Equal(("傻逼", 3, 2), (h.Word, h.Start, h.Length)),
            h => Assert.Equal(("垃圾", 10, 2), (h.Word, h.Start, h.Length)));
        Assert.Equal("你这个**，卖的什么**东西", scan.Mask(text));
    }

    [Fact]
    public void Folds_case_and_full_width_and_skips_separators()
    {
        var matcher = Matcher(("spam", WordPolicy.Mask, ["Free Money", "微信"]));

        Assert.Equal("get ********** now", matcher.Mask("get ＦＲＥＥ　ｍｏｎｅｙ now"));
        Assert.Equal("get ************* now", matcher.Mask("get f.r.e.e-MONEY now"));
        Assert.Equal("加我*****号", matcher.Mask("加我微 * 信号"));
        // A zero-width space between the characters does not hide the word either.
        Assert.Equal(WordPolicy.Mask, matcher.Scan("微\u200B信").Policy);
    }

    [Fact]
    public void English_words_match_only_at_word_boundaries()
    {
        var matcher = Matcher(("abuse", WordPolicy.Mask, ["ass"]));

        Assert.False(matcher.Scan("first class passenger, as shown").HasHits);
        Assert.Equal("you ***!", matcher.Mask("you ass!"));
        Assert.Equal("你个***", matcher.Mask("你个ASS"));
    }

    [Fact]
    public void Reports_overlapping_and_nested_words()
    {
        var matcher = Matcher(("a", WordPolicy.Flag, ["he", "she", "his", "hers"]), ("b", WordPolicy.Flag, ["中华", "华人", "中华人民共和国"]));

        var english = matcher.Scan("ushers").Hits.Select(h => (h.Word, h.Start)).OrderBy(h => h.Start).ThenBy(h => h.Word).ToList();
        var chinese = matcher.Scan("中华人民共和国成立").Hits.Select(h => h.Word).Order().ToList();

        // "ushers" is one English word: boundaries rule out every word inside it.
        Assert.Empty(english);
        Assert.Equal(["中华", "中华人民共和国", "华人"], chinese);
        var dense = Matcher(("c", WordPolicy.Flag, ["甲乙丙丁", "乙丙", "乙丙丁戊", "丙"])).Scan("x甲乙丙丁戊y").Hits;
        Assert.Equal([("乙丙", 2), ("丙", 3), ("甲乙丙丁", 1), ("乙丙丁戊", 2)], dense.Select(h => (h.Word, h.Start)));
    }

    [Fact]
    public void Overlapping_spans_are_masked_together()
    {
        var matcher = Matcher(("x", WordPolicy.Mask, ["中华", "华人"]));

        Assert.Equal("我是***", matcher.Mask("我是中华人"));
    }

    [Fact]
    public void The_strictest_policy_wins_and_flag_only_words_stay_readable()
    {
        var matcher = Matcher(("watch", WordPolicy.Flag, ["refund"]), ("rude", WordPolicy.Mask, ["idiot"]), ("fraud", WordPolicy.Block, ["转账到"]));

        var flagged = matcher.Scan("I want a refund");
        var masked = matcher.Scan("refund now, idiot");
        var blocked = matcher.Scan("idiot, 请转账到这个账户");

        Assert.Equal(WordPolicy.Flag, flagged.Policy);
        Assert.Equal("I want a refund", flagged.Mask("I want a refund"));
        Assert.Equal(WordPolicy.Mask, masked.Policy);
        Assert.Equal("refund now, *****", masked.Mask("refund now, idiot"));
        Assert.Equal(WordPolicy.Block, blocked.Policy);
        Assert.Equal(["rude", "fraud"], blocked.Hits.Select(h => h.List));
    }

    [Fact]
    public void A_word_on_two_lists_takes_the_stricter_policy()
    {
        var matcher = Matcher(("a", WordPolicy.Flag, ["scam"]), ("b", WordPolicy.Block, ["SCAM"]), ("c", WordPolicy.Mask, ["scam"]));

        var hit = Assert.Single(matcher.Scan("this is a scam").Hits);
        Assert.Equal(("b", WordPolicy.Block), (hit.List, hit.Policy));
    }

    [Fact]
    public void Text_without_hits_reports_none()
    {
        var matcher = Matcher(("a", WordPolicy.Block, ["违禁词"]));

        var scan = matcher.Scan("你好，请问我的订单什么时候发货？Hello!");

        Assert.False(scan.HasHits);
        Assert.Empty(scan.Hits);
        Assert.Equal(WordPolicy.None, scan.Policy);
        Assert.False(SensitiveWordMatcher.Empty.Scan("anything").HasHits);
    }

    [Fact]
    public void Agrees_with_a_naive_search_on_generated_text()
    {
        var random = new Random(7);
        const string alphabet = "甲乙丙丁戊己";
        string Word(int min, int max) => new([.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
        var words = Enumerable.Range(0, 40).Select(_ => Word(1, 4)).Distinct().ToArray();
        var matcher = Matcher(("g", WordPolicy.Flag, words));

        for (var round = 0; round < 200; round++)
        {
            var text = Word(0, 60);
            var expected = new List<(int, string)>();
            foreach (var w in words)
                for (var i = text.IndexOf(w, StringComparison.Ordinal); i >= 0; i = text.IndexOf(w, i + 1, StringComparison.Ordinal))
                    expected.Add((i, w));
            var actual = matcher.Scan(text).Hits.Select(h => (h.Start, h.Word)).ToList();
            Assert.Equal(expected.Order(), actual.Order());
        }
    }
}
