namespace CustomerService.Bot.Text;

/// <summary>
/// A light suffix stripper, in the spirit of the first steps of Porter's: plurals, -ed, -ing and a final e. It only
/// has to map the forms customers write to one term consistently for queries and FAQ alike, not to produce words.
/// </summary>
internal static class EnglishStemmer
{
    /// <summary>Stems a lower-case word in place and returns the stem's length.</summary>
    public static int Stem(Span<char> word)
    {
        var length = word.Length;
        if (length <= 3) return length;

        if (EndsWith(word, length, "sses")) length -= 2;
        else if (EndsWith(word, length, "ies") && length > 4) { length -= 2; word[length - 1] = 'y'; }
        else if (word[length - 1] == 's' && word[length - 2] is not ('s' or 'u' or 'i')) length -= 1;

        if (EndsWith(word, length, "ing") && HasVowel(word[..(length - 3)]) && length - 3 >= 3) length = Undouble(word, length - 3);
        else if (EndsWith(word, length, "ed") && HasVowel(word[..(length - 2)]) && length - 2 >= 3) length = Undouble(word, length - 2);

        if (length > 4 && word[length - 1] == 'e') length -= 1;
        return length;
    }

    private static bool EndsWith(Span<char> word, int length, string suffix) =>
        length > suffix.Length && word[..length].EndsWith(suffix, StringComparison.Ordinal);

    private static bool HasVowel(ReadOnlySpan<char> stem) => stem.IndexOfAny("aeiouy") >= 0;

    // "shipping" → "shipp" → "ship"; l, s and z stay doubled ("call", "pass", "buzz").
    private static int Undouble(Span<char> word, int length) =>
        length >= 2 && word[length - 1] == word[length - 2] && word[length - 1] is not ('l' or 's' or 'z' or 'a' or 'e' or 'i' or 'o' or 'u')
            ? length - 1
            : length;
}
