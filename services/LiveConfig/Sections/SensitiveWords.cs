using System.Text.Json.Serialization;

namespace CustomerService.LiveConfig;

/// <summary>What a hit on a word list does to the message. Ordered by strictness: the strictest hit wins.</summary>
public enum WordPolicy
{
    None = 0,
    /// <summary>Deliver unchanged; the risk-control system is told.</summary>
    [JsonStringEnumMemberName("flag")] Flag = 1,
    /// <summary>Deliver with the words replaced by * for the recipient.</summary>
    [JsonStringEnumMemberName("mask")] Mask = 2,
    /// <summary>Do not deliver; the sender gets an error.</summary>
    [JsonStringEnumMemberName("block")] Block = 3,
}

/// <summary>Section <c>sensitive_words</c>: a tenant's word lists, each with its policy.</summary>
public sealed record SensitiveWords : IConfigSection<SensitiveWords>
{
    public const int MaxWords = 100_000;

    public static string SectionName => ConfigSections.SensitiveWords;
    public static SensitiveWords Empty { get; } = new();

    public IReadOnlyList<SensitiveWordList> Lists { get; set; } = [];

    public void Validate(ValidationErrors errors)
    {
        errors.MaxCount("lists", Lists, 100);
        errors.Unique(Lists, l => l.Name, "lists", "name");
        var total = 0;
        var characters = 0;
        for (var i = 0; i < Lists.Count; i++)
        {
            var list = Lists[i];
            var path = $"lists[{i}]";
            errors.Required($"{path}.name", list.Name, 100);
            if (list.Policy == WordPolicy.None) errors.Add($"{path}.policy", "must be flag, mask or block.");
            else errors.Defined($"{path}.policy", list.Policy);
            total += list.Words.Count;
            for (var w = 0; w < list.Words.Count; w++)
            {
                var folded = TextFolding.FoldAndStrip(list.Words[w]);
                characters += folded.Length;
                if (folded.Length == 0) errors.Add($"{path}.words[{w}]", "has no letters or digits.");
                else if (folded.Length > SensitiveWordMatcher.MaxWordLength)
                    errors.Add($"{path}.words[{w}]", $"must be at most {SensitiveWordMatcher.MaxWordLength} characters (without separators).");
            }
        }
        if (total > MaxWords) errors.Add("lists", $"must hold at most {MaxWords} words in all.");
        if (characters > SensitiveWordMatcher.MaxTotalLength)
            errors.Add("lists", $"must hold at most {SensitiveWordMatcher.MaxTotalLength} characters in all (without separators).");
    }
}

public sealed record SensitiveWordList
{
    public string Name { get; set; } = "";
    public WordPolicy Policy { get; set; }
    public IReadOnlyList<string> Words { get; set; } = [];
}
