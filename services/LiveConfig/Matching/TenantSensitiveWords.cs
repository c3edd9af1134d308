namespace CustomerService.LiveConfig;

/// <summary>
/// Each tenant's <see cref="SensitiveWordMatcher"/>, rebuilt when its <c>sensitive_words</c> document changes so
/// the message path only looks one up. A tenant without lists of its own uses the platform's.
/// </summary>
public sealed class TenantSensitiveWords : IDisposable
{
    private readonly ILiveConfig _config;
    private readonly Lock _rebuild = new();
    private Dictionary<string, SensitiveWordMatcher> _matchers = new(StringComparer.Ordinal);

    public TenantSensitiveWords(ILiveConfig config)
    {
        _config = config;
        _config.Changed += OnChanged;
        RebuildAll();
    }

    public SensitiveWordMatcher For(string tenantId)
    {
        var matchers = Volatile.Read(ref _matchers);
        return matchers.TryGetValue(tenantId, out var matcher) ? matcher
            : matchers.TryGetValue(LiveConfigSnapshot.PlatformTenant, out var platform) ? platform
            : SensitiveWordMatcher.Empty;
    }

    public void Dispose() => _config.Changed -= OnChanged;

    private void OnChanged(LiveConfigChange change)
    {
        if (!change.Affects(ConfigSections.SensitiveWords)) return;
        if (change.IsReload || change.TenantId is null) { RebuildAll(); return; }
        lock (_rebuild)
        {
            // Built from the current snapshot, not the event's: a later change may already be in effect.
            var words = _config.Current.FindOwn<SensitiveWords>(change.TenantId);
            var next = new Dictionary<string, SensitiveWordMatcher>(_matchers, StringComparer.Ordinal);
            if (words is null) next.Remove(change.TenantId);
            else next[change.TenantId] = SensitiveWordMatcher.Build(words);
            Volatile.Write(ref _matchers, next);
        }
    }

    private void RebuildAll()
    {
        lock (_rebuild)
        {
            var snapshot = _config.Current;
            var next = new Dictionary<string, SensitiveWordMatcher>(StringComparer.Ordinal);
            foreach (var tenant in snapshot.TenantsWith(ConfigSections.SensitiveWords))
                next[tenant] = SensitiveWordMatcher.Build(snapshot.FindOwn<SensitiveWords>(tenant)!);
            Volatile.Write(ref _matchers, next);
        }
    }
}
