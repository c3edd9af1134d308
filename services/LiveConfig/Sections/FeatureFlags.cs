using System.Text.Json.Serialization;

namespace CustomerService.LiveConfig;

/// <summary>What a flag's percentage rollout is bucketed by.</summary>
public enum RolloutUnit
{
    [JsonStringEnumMemberName("visitor")] Visitor = 1,
    [JsonStringEnumMemberName("tenant")] Tenant = 2,
}

/// <summary>The flags the platform's code asks for, by key.</summary>
public static class FeatureFlagKeys
{
    /// <summary>Session merges a customer's burst of short messages into one for the agent (off by default).</summary>
    public const string MergeShortMessages = "merge_short_messages";
}

/// <summary>
/// Section <c>feature_flags</c>. A tenant's own document decides for its flags; a flag it does not list is
/// decided by the platform document (tenant "*"), where rollouts bucketed by tenant make sense.
/// </summary>
public sealed record FeatureFlags : IConfigSection<FeatureFlags>
{
    public static string SectionName => ConfigSections.FeatureFlags;
    public static FeatureFlags Empty { get; } = new();

    public IReadOnlyList<FeatureFlag> Flags { get; set; } = [];

    public FeatureFlag? Find(string key)
    {
        foreach (var flag in Flags) if (flag.Key == key) return flag;
        return null;
    }

    public void Validate(ValidationErrors errors)
    {
        errors.MaxCount("flags", Flags, 500);
        errors.Unique(Flags, f => f.Key, "flags", "key");
        for (var i = 0; i < Flags.Count; i++)
        {
            var flag = Flags[i];
            var path = $"flags[{i}]";
            errors.Required($"{path}.key", flag.Key, 100);
            if (flag.Key is { Length: > 0 } key && !key.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '.' or '-'))
                errors.Add($"{path}.key", "may hold only lowercase letters, digits, '_', '.' and '-'.");
            errors.Range($"{path}.percentage", flag.Percentage, 0, 100);
            errors.Defined($"{path}.bucket_by", flag.BucketBy);
            errors.MaxCount($"{path}.allow_list", flag.AllowList, 1000);
            for (var a = 0; a < flag.AllowList.Count; a++) errors.Required($"{path}.allow_list[{a}]", flag.AllowList[a], 200);
            errors.Optional($"{path}.description", flag.Description, 1000);
        }
    }
}

public sealed record FeatureFlag
{
    public string Key { get; set; } = "";
    /// <summary>Off: only the allow-list gets the feature.</summary>
    public bool Enabled { get; set; }
    /// <summary>Share of tenants or visitors (by <see cref="BucketBy"/>) that get it when enabled, 0..100, to 0.01.</summary>
    public double Percentage { get; set; } = 100;
    /// <summary>Tenant or visitor ids that get the feature even when disabled or outside the percentage.</summary>
    public IReadOnlyList<string> AllowList { get; set; } = [];
    /// <summary>Off for everyone, allow-list included: the emergency stop.</summary>
    public bool KillSwitch { get; set; }
    public RolloutUnit BucketBy { get; set; } = RolloutUnit.Visitor;
    public string? Description { get; set; }
}
