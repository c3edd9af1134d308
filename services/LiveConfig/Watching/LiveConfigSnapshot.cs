namespace CustomerService.LiveConfig;

/// <summary>
/// One consistent state of the live configuration: every tenant's document of every watched section, as of
/// <see cref="Version"/>. Immutable: a change makes a new snapshot (copying only the changed section's map),
/// which the watcher swaps in by reference, so readers never see half a change and never take a lock.
/// </summary>
public sealed class LiveConfigSnapshot
{
    /// <summary>The tenant id of platform-wide documents: what a tenant without its own document gets.</summary>
    public const string PlatformTenant = "*";

    private static readonly Dictionary<string, object> NoDocuments = new(StringComparer.Ordinal);

    // Indexed like ConfigSections.All; a section nobody watches stays empty.
    private readonly Dictionary<string, object>[] _sections;

    public static LiveConfigSnapshot Empty { get; } = new(0, false, NewSections());

    private LiveConfigSnapshot(long version, bool isLoaded, Dictionary<string, object>[] sections)
    {
        Version = version;
        IsLoaded = isLoaded;
        _sections = sections;
    }

    /// <summary>The version of the last change applied (versions come from one global sequence in Admin).</summary>
    public long Version { get; }

    /// <summary>False until the first full snapshot from Admin arrived: until then every section is empty.</summary>
    public bool IsLoaded { get; }

    /// <summary>The tenant's document, else the platform's, else the section's defaults.</summary>
    public T Get<T>(string tenantId) where T : class, IConfigSection<T>
        => FindOwn<T>(tenantId) ?? FindOwn<T>(PlatformTenant) ?? T.Empty;

    /// <summary>The tenant's own document of the section, if it has one.</summary>
    public T? FindOwn<T>(string tenantId) where T : class, IConfigSection<T>
        => _sections[SectionIndex<T>.Value].TryGetValue(tenantId, out var document) ? (T)document : null;

    /// <summary>The tenants (and <see cref="PlatformTenant"/>) that have a document of the section.</summary>
    public IReadOnlyCollection<string> TenantsWith(string section) => _sections[IndexOf(section)].Keys;

    /// <summary>
    /// Whether a feature is on for a tenant (and visitor): the tenant's own flag of that key decides, else the
    /// platform's; a flag nobody defined is off.
    /// </summary>
    public bool IsEnabled(string flagKey, string tenantId, string? visitorId = null)
    {
        var flag = FindOwn<FeatureFlags>(tenantId)?.Find(flagKey) ?? FindOwn<FeatureFlags>(PlatformTenant)?.Find(flagKey);
        return flag is not null && FeatureFlagEvaluator.IsEnabled(flag, tenantId, visitorId);
    }

    /// <summary>This snapshot with one tenant's document of one section replaced (null: removed).</summary>
    internal LiveConfigSnapshot With(string section, string tenantId, object? document, long version)
    {
        var index = IndexOf(section);
        var sections = (Dictionary<string, object>[])_sections.Clone();
        var map = new Dictionary<string, object>(_sections[index], StringComparer.Ordinal);
        if (document is null) map.Remove(tenantId);
        else map[tenantId] = document;
        sections[index] = map;
        return new LiveConfigSnapshot(version, IsLoaded, sections);
    }

    internal LiveConfigSnapshot WithVersion(long version) => new(version, IsLoaded, _sections);

    /// <summary>Collects a full snapshot as it streams in; <see cref="Build"/> makes it current in one step.</summary>
    internal sealed class Builder
    {
        private readonly Dictionary<string, object>[] _sections = NewSections();

        public void Set(string section, string tenantId, object document)
        {
            var index = IndexOf(section);
            if (ReferenceEquals(_sections[index], NoDocuments)) _sections[index] = new Dictionary<string, object>(StringComparer.Ordinal);
            _sections[index][tenantId] = document;
        }

        public LiveConfigSnapshot Build(long version) => new(version, isLoaded: true, _sections);
    }

    private static Dictionary<string, object>[] NewSections()
    {
        var sections = new Dictionary<string, object>[ConfigSections.All.Count];
        Array.Fill(sections, NoDocuments);
        return sections;
    }

    private static int IndexOf(string section)
    {
        for (var i = 0; i < ConfigSections.All.Count; i++)
            if (ConfigSections.All[i].Name == section) return i;
        throw new ArgumentException($"Unknown configuration section '{section}'.", nameof(section));
    }

    private static class SectionIndex<T> where T : class, IConfigSection<T>
    {
        public static readonly int Value = IndexOf(T.SectionName);
    }
}
