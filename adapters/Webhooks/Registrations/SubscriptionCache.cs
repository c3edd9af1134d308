using Microsoft.Extensions.Options;

namespace CustomerService.Webhooks.Registrations;

/// <summary>
/// The enabled webhooks by tenant, held in memory so that the consumer does not ask PostgreSQL about every chat
/// message. Reloaded every <see cref="WebhookOptions.SubscriptionRefresh"/> (changes made through another replica)
/// and before the next lookup after a change through this one (<see cref="Invalidate"/>).
/// </summary>
public sealed class SubscriptionCache(WebhookStore store, IOptions<WebhookOptions> options, TimeProvider time)
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Snapshot? _snapshot;
    private long _generation;

    private sealed record Snapshot(long Generation, DateTimeOffset LoadedAt, IReadOnlyDictionary<string, Subscription[]> ByTenant);

    /// <summary>A registration changed: the next lookup reads the table again.</summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);

    /// <summary>The tenant's enabled webhooks that subscribe to <paramref name="eventName"/>.</summary>
    public async ValueTask<IReadOnlyList<Subscription>> MatchingAsync(string tenant, string eventName, CancellationToken ct)
    {
        var snapshot = await CurrentAsync(ct);
        return snapshot.ByTenant.TryGetValue(tenant, out var subscriptions)
            ? subscriptions.Where(s => s.Events.Contains(eventName, StringComparer.Ordinal)).ToArray()
            : [];
    }

    private async ValueTask<Snapshot> CurrentAsync(CancellationToken ct)
    {
        var snapshot = _snapshot;
        if (IsFresh(snapshot)) return snapshot!;
        await _loading.WaitAsync(ct);
        try
        {
            snapshot = _snapshot;
            if (IsFresh(snapshot)) return snapshot!;
            // Read the generation before the table: a change committed during the read makes the result stale.
            long generation = Interlocked.Read(ref _generation);
            var now = time.GetUtcNow();
            var all = await store.EnabledSubscriptionsAsync(ct);
            snapshot = new Snapshot(generation, now, all.GroupBy(s => s.TenantId, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal));
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _loading.Release();
        }
    }

    private bool IsFresh(Snapshot? snapshot) => snapshot is not null
        && snapshot.Generation == Interlocked.Read(ref _generation)
        && time.GetUtcNow() - snapshot.LoadedAt < options.Value.SubscriptionRefresh;
}
