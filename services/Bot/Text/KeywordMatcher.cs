namespace CustomerService.Bot.Text;

/// <summary>
/// Finds any of a set of keywords in a normalized message: Latin-script keywords as whole words ("hi" is not in
/// "shipping"), Chinese keywords anywhere (Chinese has no word boundaries to look for). An occurrence that lies
/// inside one of the exclusions (人工 inside 人工智能) does not count.
/// </summary>
internal sealed class KeywordMatcher
{
    private readonly Keyword[] _keywords;

    public KeywordMatcher(IEnumerable<string> keywords, IEnumerable<string>? exclusions = null)
    {
        var normalizedExclusions = (exclusions ?? []).Select(MessageText.Normalize).Where(e => e.Length > 0).ToArray();
        _keywords = keywords
            .Select(MessageText.Normalize)
            .Select(k => k.Trim())
            .Where(k => k.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Select(k => new Keyword(k, Script.IsWordChar(k[0]), Script.IsWordChar(k[^1]), ExclusionsContaining(k, normalizedExclusions)))
            .ToArray();
    }

    public bool Matches(string normalized)
    {
        foreach (var keyword in _keywords)
        {
            for (var at = normalized.IndexOf(keyword.Text, StringComparison.Ordinal); at >= 0;
                 at = normalized.IndexOf(keyword.Text, at + 1, StringComparison.Ordinal))
            {
                if (keyword.Counts(normalized, at)) return true;
            }
        }
        return false;
    }

    private static (string Exclusion, int Offset)[] ExclusionsContaining(string keyword, string[] exclusions)
    {
        var found = new List<(string, int)>();
        foreach (var exclusion in exclusions)
        {
            for (var at = exclusion.IndexOf(keyword, StringComparison.Ordinal); at >= 0; at = exclusion.IndexOf(keyword, at + 1, StringComparison.Ordinal))
                found.Add((exclusion, at));
        }
        return found.ToArray();
    }

    private sealed record Keyword(string Text, bool WordStart, bool WordEnd, (string Exclusion, int Offset)[] Exclusions)
    {
        public bool Counts(string text, int at)
        {
            if (WordStart && at > 0 && Script.IsWordChar(text[at - 1])) return false;
            var end = at + Text.Length;
            if (WordEnd && end < text.Length && Script.IsWordChar(text[end])) return false;
            foreach (var (exclusion, offset) in Exclusions)
            {
                var start = at - offset;
                if (start >= 0 && text.AsSpan(start).StartsWith(exclusion, StringComparison.Ordinal)) return false;
            }
            return true;
        }
    }
}
