namespace CustomerService.LiveConfig;

/// <summary>
/// The live configuration a service runs with: read <see cref="Current"/> wherever a decision needs it (it is
/// a reference read, no lock), and subscribe to <see cref="Changed"/> to rebuild what derives from it.
/// </summary>
public interface ILiveConfig
{
    LiveConfigSnapshot Current { get; }

    /// <summary>
    /// Raised on the watcher's thread after each change is in effect (after a full reload too). Handlers should be
    /// quick; an exception in one is logged and does not stop the others.
    /// </summary>
    event Action<LiveConfigChange>? Changed;

    /// <summary>Completes when the first full snapshot has been applied.</summary>
    Task WaitUntilLoadedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// What changed: one tenant's document of one section, or (<see cref="IsReload"/>) everything, when a full
/// snapshot replaced the configuration.
/// </summary>
public sealed record LiveConfigChange(LiveConfigSnapshot Snapshot, string? Section, string? TenantId, bool IsReload)
{
    public bool Affects(string section) => IsReload || Section == section;
}
