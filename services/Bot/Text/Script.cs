namespace CustomerService.Bot.Text;

/// <summary>Character classes that decide how text is matched: Chinese (and Japanese, Korean) has no spaces between words.</summary>
internal static class Script
{
    public static bool IsCjk(char c) =>
        c is >= '\u3040' and <= '\u30FF'    // kana
          or >= '\u3400' and <= '\u4DBF'    // CJK extension A
          or >= '\u4E00' and <= '\u9FFF'    // CJK unified ideographs
          or >= '\uAC00' and <= '\uD7AF'    // Hangul syllables
          or >= '\uF900' and <= '\uFAFF';   // CJK compatibility ideographs

    /// <summary>A letter or digit of a script that separates words with spaces.</summary>
    public static bool IsWordChar(char c) => char.IsLetterOrDigit(c) && !IsCjk(c);
}
