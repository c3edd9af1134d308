using CustomerService.Bot.Text;

namespace CustomerService.Bot.Tests;

public class TokenizerTests
{
    [Fact]
    public void Chinese_text_yields_unigrams_and_bigrams_without_particles()
    {
        var tokens = Tokens("我想退货了");
        // 我, 想 and 了 are particles/pronouns: no unigrams of them and no bigrams that include them.
        Assert.Equal(["退", "货", "退货"], tokens);
    }

    [Fact]
    public void English_words_are_lower_cased_stemmed_and_stripped_of_stop_words()
    {
        Assert.Equal(["ship", "order", "when", "arriv"], Tokens("Shipping ORDERS: when will they arrive?"));
        Assert.Equal(Tokens("shipped"), Tokens("shipping"));
        Assert.Equal(Tokens("refunds"), Tokens("refunded"));
        Assert.Equal(Tokens("deliveries"), Tokens("delivery"));
    }

    [Fact]
    public void Mixed_and_full_width_text_is_split_by_script()
    {
        Assert.Equal(["iphone15", "价", "格", "价格"], Tokens("ｉＰｈｏｎｅ15的价格"));
    }

    [Fact]
    public void Apostrophes_do_not_leave_stray_letters()
    {
        Assert.Equal(["dont", "know"], Tokens("don't know"));
        Assert.Equal(Tokens("where parcel"), Tokens("where’s my parcel"));
    }

    private static string[] Tokens(string text)
    {
        var sink = new ListSink();
        SearchTokenizer.Tokenize(text, ref sink);
        return [.. sink.Tokens];
    }

    private struct ListSink() : ITokenSink
    {
        public List<string> Tokens { get; } = [];
        public void Add(scoped ReadOnlySpan<char> token) => Tokens.Add(token.ToString());
    }
}
