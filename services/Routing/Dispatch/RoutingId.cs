namespace CustomerService.Routing.Dispatch;

/// <summary>
/// Ids (tenant, conversation, visitor, agent, skill group) become parts of Redis keys: ':' separates key parts
/// and braces mark the cluster hash tag, so neither may appear in one, nor may whitespace.
/// </summary>
public static class RoutingId
{
    public const int MaxLength = 128;

    public static bool IsValid(string id)
    {
        if (id.Length is 0 or > MaxLength) return false;
        foreach (var c in id)
            if (c is ':' or '{' or '}' || char.IsWhiteSpace(c) || char.IsControl(c)) return false;
        return true;
    }

    /// <summary>Why <paramref name="id"/> is not a valid id, or null when it is.</summary>
    public static string? Problem(string field, string id) =>
        id.Length == 0 ? $"{field} is required"
        : id.Length > MaxLength ? $"{field} is longer than {MaxLength} characters"
        : IsValid(id) ? null
        : $"{field} '{id}' contains whitespace, a control character, ':', '{{' or '}}'";
}
