using System.Buffers;
using System.Collections.Frozen;

namespace CustomerService.Bot.Text;

/// <summary>Receives the tokens of a text; a struct sink keeps tokenization free of allocations.</summary>
internal interface ITokenSink
{
    void Add(scoped ReadOnlySpan<char> token);
}

/// <summary>
/// Splits text into search terms for retrieval. Chinese has no spaces, so a run of Chinese characters yields every
/// character (unigram) and every pair of neighbours (bigram): bigrams carry most of the meaning (退货, 发票), unigrams
/// let a paraphrase that shares single characters still score. Latin text yields lower-case words without stop
/// words, lightly stemmed so that "shipping", "shipped" and "ship" meet.
/// </summary>
internal static class SearchTokenizer
{
    private const int MaxWordLength = 48;

    // Particles, pronouns and politeness that appear in almost every question and say nothing about its topic.
    private static readonly SearchValues<char> ChineseStopCharacters = SearchValues.Create("的了吗呢吧啊呀哦嗯嘛哈是我你您他她它们在和与就都也还请问一个这那么怎想能可以要");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> EnglishStopWords = FrozenSet.Create(StringComparer.Ordinal,
        "a", "about", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did",
        "do", "does", "for", "from", "get", "had", "has", "have", "he", "hello", "her", "hey", "hi", "him", "his", "i", "if",
        "im", "in", "is", "it", "its", "just", "me", "my", "of", "on", "or", "our", "please", "she", "so", "some", "than",
        "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too", "us", "very", "was",
        "we", "were", "what", "whats", "which", "who", "will", "with", "would", "you", "your").GetAlternateLookup<ReadOnlySpan<char>>();

    public static void Tokenize<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : ITokenSink, allows ref struct
    {
        Span<char> word = stackalloc char[MaxWordLength];
        Span<char> pair = stackalloc char[2];
        var i = 0;
        while (i < text.Length)
        {
            var c = Fold(text[i]);
            if (Script.IsCjk(c))
            {
                var previous = '\0';
                var previousIsStop = true;
                for (; i < text.Length && Script.IsCjk(c = Fold(text[i])); i++)
                {
                    var isStop = ChineseStopCharacters.Contains(c);
                    if (!isStop)
                    {
                        pair[0] = c;
                        sink.Add(pair[..1]);
                    }
                    if (!isStop && !previousIsStop)
                    {
                        pair[0] = previous;
                        pair[1] = c;
                        sink.Add(pair);
                    }
                    previous = c;
                    previousIsStop = isStop;
                }
            }
            else if (char.IsLetterOrDigit(c))
            {
                var length = 0;
                for (; i < text.Length && Script.IsWordChar(c = Fold(text[i])); i++)
                {
                    if (length < word.Length) word[length++] = char.ToLowerInvariant(c);
                }
                // An apostrophe inside a word ("what's", "don't") would split it into a word and a stray letter.
                if (i + 1 < text.Length && text[i] is '\'' or '\u2019' && Script.IsWordChar(text[i + 1]))
                {
                    for (i++; i < text.Length && Script.IsWordChar(c = Fold(text[i])); i++)
                    {
                        if (length < word.Length) word[length++] = char.ToLowerInvariant(c);
                    }
                }
                var token = word[..length];
                if (length == 1 && char.IsLetter(token[0])) continue;
                if (EnglishStopWords.Contains(token)) continue;
                sink.Add(token[..EnglishStemmer.Stem(token)]);
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>Full-width Latin letters and digits (Chinese input methods produce them) as ASCII.</summary>
    private static char Fold(char c) => c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c;
}
