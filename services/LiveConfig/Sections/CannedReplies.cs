namespace CustomerService.LiveConfig;

/// <summary>Section <c>canned_replies</c>: replies agents insert by shortcut (e.g. "/refund"), in groups.</summary>
public sealed record CannedReplies : IConfigSection<CannedReplies>
{
    public static string SectionName => ConfigSections.CannedReplies;
    public static CannedReplies Empty { get; } = new();

    public IReadOnlyList<CannedReplyGroup> Groups { get; set; } = [];

    /// <summary>
    /// Replies whose shortcut starts with the query, then those whose title or text contains it (folded like
    /// sensitive words), at most <paramref name="limit"/>.
    /// </summary>
    public IReadOnlyList<FoundCannedReply> Search(string query, int limit)
    {
        var folded = TextFolding.FoldAndStrip(query);
        var byShortcut = new List<FoundCannedReply>();
        var byText = new List<FoundCannedReply>();
        foreach (var group in Groups)
        {
            foreach (var reply in group.Replies)
            {
                if (folded.Length == 0 || TextFolding.FoldAndStrip(reply.Shortcut).StartsWith(folded, StringComparison.Ordinal))
                    byShortcut.Add(new FoundCannedReply(group.Name, reply));
                else if (TextFolding.FoldAndStrip(reply.Title ?? "").Contains(folded, StringComparison.Ordinal)
                         || TextFolding.FoldAndStrip(reply.Text).Contains(folded, StringComparison.Ordinal))
                    byText.Add(new FoundCannedReply(group.Name, reply));
            }
        }
        return [.. byShortcut.Concat(byText).Take(limit)];
    }

    public void Validate(ValidationErrors errors)
    {
        errors.MaxCount("groups", Groups, 200);
        errors.Unique(Groups, g => g.Name, "groups", "name");
        var shortcuts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var g = 0; g < Groups.Count; g++)
        {
            var group = Groups[g];
            errors.Required($"groups[{g}].name", group.Name, 100);
            errors.MaxCount($"groups[{g}].replies", group.Replies, 1000);
            for (var r = 0; r < group.Replies.Count; r++)
            {
                var reply = group.Replies[r];
                var path = $"groups[{g}].replies[{r}]";
                errors.Required($"{path}.shortcut", reply.Shortcut, 50);
                if (!string.IsNullOrWhiteSpace(reply.Shortcut) && !shortcuts.Add(reply.Shortcut))
                    errors.Add($"{path}.shortcut", $"'{reply.Shortcut}' is used by another reply of the tenant.");
                errors.Optional($"{path}.title", reply.Title, 200);
                errors.Required($"{path}.text", reply.Text, 4000);
            }
        }
    }
}

public sealed record CannedReplyGroup
{
    public string Name { get; set; } = "";
    public IReadOnlyList<CannedReply> Replies { get; set; } = [];
}

public sealed record CannedReply
{
    public string Shortcut { get; set; } = "";
    public string? Title { get; set; }
    public string Text { get; set; } = "";
}

public sealed record FoundCannedReply(string Group, CannedReply Reply);
