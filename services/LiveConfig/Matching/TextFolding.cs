using System.Globalization;

namespace CustomerService.LiveConfig;

/// <summary>
/// The one normalization that words and messages share, character by character so that positions in the folded
/// text are positions in the original: full-width forms to half-width (Ａ→a, ７→7, the ideographic space),
/// case folded, and separators (whitespace, punctuation, symbols, control and format characters such as
/// zero-width spaces) marked as ignorable, so "ＳＰＡＭ", "s.p.a.m" and "傻 逼" match "spam" and "傻逼".
/// </summary>
public static class TextFolding
{
    /// <summary>What <see cref="Fold"/> returns for a character that matching skips.</summary>
    public const char Ignorable = '\0';

    private static readonly char[] Table = BuildTable();

    /// <summary>The folded character, or <see cref="Ignorable"/>.</summary>
    public static char Fold(char c) => Table[c];

    /// <summary>True for ASCII letters and digits, the characters between which English words have boundaries.</summary>
    public static bool IsWordChar(char folded) => folded is >= 'a' and <= 'z' or >= '0' and <= '9';

    /// <summary>The folded text without its ignorable characters: how a word or keyword is compared.</summary>
    public static string FoldAndStrip(ReadOnlySpan<char> text)
    {
        Span<char> buffer = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        var n = 0;
        foreach (var c in text)
        {
            var f = Table[c];
            if (f != Ignorable) buffer[n++] = f;
        }
        return new string(buffer[..n]);
    }

    private static char[] BuildTable()
    {
        var table = new char[char.MaxValue + 1];
        for (var i = 0; i <= char.MaxValue; i++)
        {
            var c = (char)i;
            // Full-width ASCII variants (U+FF01..U+FF5E) sit at a fixed offset from ASCII.
            if (c is >= '\uFF01' and <= '\uFF5E') c = (char)(c - 0xFEE0);
            else if (c == '\u3000') c = ' ';
            table[i] = IsSeparator(c) ? Ignorable : char.ToLowerInvariant(c);
        }
        return table;
    }

    private static bool IsSeparator(char c)
    {
        if (c == '\0') return true;
        switch (CharUnicodeInfo.GetUnicodeCategory(c))
        {
            case UnicodeCategory.SpaceSeparator:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
            case UnicodeCategory.Control:
            case UnicodeCategory.Format:
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return true;
            default:
                return false;
        }
    }
}
