using System.Text;

namespace CustomerService.Bot.Text;

/// <summary>The forms of a customer's text that rules compare against.</summary>
internal static class MessageText
{
    /// <summary>
    /// Lower case, with full-width Latin letters and digits (ＡＢＣ１２３, common in Chinese input) folded to ASCII
    /// so that a keyword written either way matches.
    /// </summary>
    public static string Normalize(string text)
    {
        var needsFolding = false;
        foreach (var c in text)
        {
            if (c is >= '\uFF01' and <= '\uFF5E' or '\u3000') { needsFolding = true; break; }
        }
        if (!needsFolding) return text.ToLowerInvariant();
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                if (c is >= '\uFF01' and <= '\uFF5E') c = (char)(c - 0xFEE0);
                else if (c == '\u3000') c = ' ';
                span[i] = char.ToLowerInvariant(c);
            }
        });
    }

    /// <summary>
    /// A normalized text reduced to its words: punctuation and spacing dropped, one space kept between Latin words
    /// ("What are your hours?" → "what are your hours", "营业 时间？" → "营业时间").
    /// </summary>
    public static string PhraseKey(string normalized)
    {
        var builder = new StringBuilder(normalized.Length);
        var pendingSpace = false;
        foreach (var c in normalized)
        {
            if (!char.IsLetterOrDigit(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }
            if (pendingSpace && Script.IsWordChar(c) && Script.IsWordChar(builder[^1])) builder.Append(' ');
            pendingSpace = false;
            builder.Append(c);
        }
        return builder.ToString();
    }
}
