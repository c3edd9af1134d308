using BenchmarkDotNet.Attributes;
using CustomerService.LiveConfig;

namespace CustomerService.Benchmarks;

/// <summary>
/// What sensitive-word matching adds to every chat message: a tenant list of 10,000 words (half Chinese, half
/// English) against messages of typical lengths. Words and messages draw on the same 3,000 common Chinese
/// characters, so most characters of a message advance the automaton: the expensive case, not the easy one.
/// Target: under 20 µs per message. Min and median are shown beside the mean: on a machine shared with builds
/// the mean measures the neighbours as much as the matcher.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn, MaxColumn]
public class SensitiveWordMatcherBenchmarks
{
    private const int MessagesPerInvoke = 256;
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";

    private SensitiveWordMatcher _matcher = SensitiveWordMatcher.Empty;
    private string[] _messages = [];
    private SensitiveWords _words = SensitiveWords.Empty;

    /// <summary>Characters per message.</summary>
    [Params(20, 80, 200)]
    public int Length { get; set; }

    /// <summary>Share of messages that contain a listed word (the rest hit none).</summary>
    [Params(0, 10)]
    public int PercentWithHits { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20_260_101);
        var hanzi = Enumerable.Range(0, 3_000).Select(i => (char)(0x4E00 + i * 7)).ToArray();
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < 5_000) words.Add(Pick(random, hanzi, random.Next(2, 5)));
        while (words.Count < 10_000) words.Add(Pick(random, Letters, random.Next(4, 11)));
        var list = words.ToArray();
        _words = new SensitiveWords
        {
            Lists =
            [
                new SensitiveWordList { Name = "block", Policy = WordPolicy.Block, Words = list[..2_000] },
                new SensitiveWordList { Name = "mask", Policy = WordPolicy.Mask, Words = list[2_000..7_000] },
                new SensitiveWordList { Name = "flag", Policy = WordPolicy.Flag, Words = list[7_000..] },
            ],
        };
        _matcher = SensitiveWordMatcher.Build(_words);

        _messages = new string[MessagesPerInvoke];
        for (var i = 0; i < _messages.Length; i++)
        {
            var message = Message(random, hanzi, Length);
            if (random.Next(100) < PercentWithHits)
            {
                var word = list[random.Next(list.Length)];
                var at = random.Next(Math.Max(1, Length - word.Length));
                message = (message[..at] + " " + word + " " + message[at..])[..Length];
            }
            _messages[i] = message;
        }
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke, Description = "Scan one message, 10,000 words")]
    public int Scan()
    {
        var hits = 0;
        foreach (var message in _messages) hits += _matcher.Scan(message).Hits.Count;
        return hits;
    }

    [Benchmark(Description = "Build the automaton, 10,000 words")]
    public int Build() => SensitiveWordMatcher.Build(_words).WordCount;

    /// <summary>Chinese with some English and punctuation mixed in, as customers write.</summary>
    private static string Message(Random random, char[] hanzi, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            var roll = random.Next(100);
            chars[i] = roll < 70 ? hanzi[random.Next(hanzi.Length)]
                : roll < 85 ? Letters[random.Next(Letters.Length)]
                : roll < 93 ? ' '
                : "，。？！,.?!"[random.Next(8)];
        }
        return new string(chars);
    }

    private static string Pick(Random random, ReadOnlySpan<char> from, int length)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++) chars[i] = from[random.Next(from.Length)];
        return new string(chars);
    }
}
