namespace CustomerService.LiveConfig;

/// <summary>Section <c>faq</c>: question and answer entries the bot and the help widget draw on.</summary>
public sealed record Faq : IConfigSection<Faq>
{
    public static string SectionName => ConfigSections.Faq;
    public static Faq Empty { get; } = new();

    public IReadOnlyList<FaqEntry> Entries { get; set; } = [];

    public void Validate(ValidationErrors errors)
    {
        errors.MaxCount("entries", Entries, 5000);
        errors.Unique(Entries, e => e.Id, "entries", "id");
        for (var i = 0; i < Entries.Count; i++)
        {
            errors.Required($"entries[{i}].id", Entries[i].Id, 100);
            errors.Required($"entries[{i}].question", Entries[i].Question, 500);
            errors.Required($"entries[{i}].answer", Entries[i].Answer, 4000);
        }
    }
}

public sealed record FaqEntry
{
    public string Id { get; set; } = "";
    public string Question { get; set; } = "";
    public string Answer { get; set; } = "";
}
