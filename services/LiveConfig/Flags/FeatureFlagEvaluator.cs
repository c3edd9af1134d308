using System.Text;

namespace CustomerService.LiveConfig;

/// <summary>
/// Decides a feature flag in process: the kill switch, then the allow-list, then enabled, then the percentage by a
/// stable bucket of the tenant or visitor. The same id always lands in the same bucket, on every replica and
/// after restarts, and raising the percentage only adds ids.
/// </summary>
public static class FeatureFlagEvaluator
{
    /// <summary>Buckets per flag: percentages resolve to 0.01.</summary>
    public const int Buckets = 10_000;

    public static bool IsEnabled(FeatureFlag flag, string tenantId, string? visitorId)
    {
        if (flag.KillSwitch) return false;
        foreach (var allowed in flag.AllowList)
            if (allowed == tenantId || (visitorId is not null && allowed == visitorId)) return true;
        if (!flag.Enabled) return false;
        if (flag.Percentage >= 100) return true;
        if (flag.Percentage <= 0) return false;
        var unit = flag.BucketBy == RolloutUnit.Tenant ? tenantId : visitorId;
        // Without a visitor id a visitor-bucketed rollout cannot decide stably: only a full rollout applies.
        if (string.IsNullOrEmpty(unit)) return false;
        return Bucket(flag.Key, unit) < (int)Math.Round(flag.Percentage * (Buckets / 100));
    }

    /// <summary>
    /// The bucket (0..9999) of an id for a flag: FNV-1a 64 over the UTF-8 bytes of key, '\n', id, then the
    /// MurmurHash3 64-bit finalizer (FNV's low bits alone mix poorly), modulo 10,000. Documented in
    /// docs/configuration.md so that other languages can reproduce it. Per-flag keys keep the early adopters of
    /// one flag from being the early adopters of every flag.
    /// </summary>
    public static int Bucket(string flagKey, string unitId)
    {
        var hash = 14695981039346656037UL;
        hash = Fnv(hash, flagKey);
        hash = (hash ^ (byte)'\n') * 1099511628211UL;
        hash = Fnv(hash, unitId);
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return (int)(hash % Buckets);
    }

    private static ulong Fnv(ulong hash, string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(text.Length) <= buffer.Length ? buffer : new byte[Encoding.UTF8.GetByteCount(text)];
        var n = Encoding.UTF8.GetBytes(text, bytes);
        foreach (var b in bytes[..n]) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}
