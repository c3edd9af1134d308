namespace CustomerService.AdapterKit.Mapping;

/// <summary>
/// How one legacy record becomes one contract message, from configuration. Targets are the message's protobuf
/// field names; a map field takes "field.key" (one entry) or "field.*" (every member of a source object).
/// Sources are paths into the record's JSON: "contact.phone", "addresses.0.city"; "a|b" takes the first that
/// has a value.
/// </summary>
public sealed class MessageMapping
{
    /// <summary>Target field → source path. An empty path removes a target the default mapping sets.</summary>
    public Dictionary<string, string> Fields { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Target field → legacy value → unified value (case-insensitive); "*" stands for any other value.</summary>
    public Dictionary<string, Dictionary<string, string>> Values { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Target field → value used when the record has none.</summary>
    public Dictionary<string, string> Defaults { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A mapping for every tenant: <see cref="Default"/>, and per tenant what differs from it (a tenant's fields,
/// value tables and defaults replace the default's of the same target).
/// </summary>
public sealed class TenantMappings
{
    public MessageMapping Default { get; set; } = new();

    public Dictionary<string, MessageMapping> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The mapping in force for a tenant.</summary>
    public MessageMapping For(string? tenantId)
    {
        if (tenantId is null || !Tenants.TryGetValue(tenantId, out var tenant)) return Default;
        return new MessageMapping
        {
            Fields = Merge(Default.Fields, tenant.Fields),
            Values = Merge(Default.Values, tenant.Values),
            Defaults = Merge(Default.Defaults, tenant.Defaults),
        };
    }

    private static Dictionary<string, T> Merge<T>(Dictionary<string, T> defaults, Dictionary<string, T> overrides)
    {
        var merged = new Dictionary<string, T>(defaults, StringComparer.Ordinal);
        foreach (var (key, value) in overrides) merged[key] = value;
        return merged;
    }
}
