namespace CustomerService.LiveConfig;

/// <summary>
/// What is wrong with a configuration document, keyed by the JSON path of the field in the wire names
/// (e.g. <c>rules[2].skill_group</c>), the shape ASP.NET Core's ValidationProblem expects.
/// </summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Add(string path, string message)
    {
        if (!_errors.TryGetValue(path, out var list)) _errors[path] = list = [];
        list.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public override string ToString() => string.Join("; ", _errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));

    internal void Required(string path, string? value, int maxLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(path, "is required.");
        else if (value.Length > maxLength) Add(path, $"must be at most {maxLength} characters.");
    }

    internal void Optional(string path, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength) Add(path, $"must be at most {maxLength} characters.");
    }

    internal void Range(string path, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max) Add(path, $"must be between {min} and {max}.");
    }

    internal void Defined<TEnum>(string path, TEnum value) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) Add(path, $"is not one of the allowed values.");
    }

    internal void MaxCount<T>(string path, IReadOnlyCollection<T> items, int max)
    {
        if (items.Count > max) Add(path, $"must have at most {max} items.");
    }

    /// <summary>Reports the second and later occurrences of a key that must be unique in a list.</summary>
    internal void Unique<T>(IReadOnlyList<T> items, Func<T, string?> key, string listPath, string field, StringComparer? comparer = null)
    {
        var seen = new HashSet<string>(comparer ?? StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
            if (key(items[i]) is { } k && !seen.Add(k)) Add($"{listPath}[{i}].{field}", $"'{k}' appears more than once.");
    }
}
