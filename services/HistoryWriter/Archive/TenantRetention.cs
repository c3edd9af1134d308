using System.Collections.Frozen;
using System.Text.Json;
using CustomerService.HistoryWriter.Storage;
using Microsoft.Extensions.Options;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>
/// How long each tenant's history is kept. Every archived row carries its tenant's days in retention_days, which the
/// tables' TTL reads; changing a tenant's setting also rewrites that column of the tenant's stored rows (a mutation)
/// so the new period applies to what is already there. The archive reads an in-memory copy, refreshed every minute so
/// that every replica follows an admin's change.
/// </summary>
internal sealed partial class TenantRetention(HistoryStore store, IOptions<HistoryOptions> options, TimeProvider time, ILogger<TenantRetention> logger)
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(1);
    private volatile FrozenDictionary<string, ushort> _days = FrozenDictionary<string, ushort>.Empty;
    private long _loadedAt = long.MinValue;

    public ushort DefaultDays => (ushort)options.Value.DefaultRetentionDays;

    public ushort DaysFor(string tenant) => _days.TryGetValue(tenant, out var days) ? days : DefaultDays;

    public async ValueTask RefreshIfStaleAsync(CancellationToken cancellationToken)
    {
        if (_loadedAt != long.MinValue && time.GetElapsedTime(_loadedAt) < RefreshEvery) return;
        await RefreshAsync(cancellationToken);
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var rows = await store.Database.QueryAsync(
            $"SELECT tenant_id, argMax(days, updated_at) AS days FROM {store.Schema.Retention} GROUP BY tenant_id",
            null, ReadRows, cancellationToken);
        _days = rows.ToFrozenDictionary(r => r.Key, r => r.Value);
        _loadedAt = time.GetTimestamp();
    }

    public async Task SetAsync(string tenant, ushort days, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters().Add("tenant", tenant).Add("days", days).Add("now", time.GetUtcNow().ToUnixTimeMilliseconds());
        await store.Database.ExecuteAsync(
            $"INSERT INTO {store.Schema.Retention} (tenant_id, days, updated_at) SELECT {{tenant:String}}, {{days:Int64}}, fromUnixTimestamp64Milli({{now:Int64}})",
            parameters, cancellationToken);
        foreach (var table in store.Schema.RetainedTables)
            await store.Database.ExecuteAsync(
                $"ALTER TABLE {table} UPDATE retention_days = {{days:Int64}} WHERE tenant_id = {{tenant:String}} AND retention_days != {{days:Int64}}",
                parameters, cancellationToken);
        await RefreshAsync(cancellationToken);
        LogChanged(tenant, days);
    }

    private static List<KeyValuePair<string, ushort>> ReadRows(ReadOnlySpan<byte> json)
    {
        var rows = new List<KeyValuePair<string, ushort>>();
        foreach (var line in new JsonLines(json))
        {
            var reader = new Utf8JsonReader(line);
            string? tenant = null;
            ushort days = 0;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                if (reader.ValueTextEquals("tenant_id"u8)) { reader.Read(); tenant = reader.GetString(); }
                else if (reader.ValueTextEquals("days"u8)) { reader.Read(); days = reader.GetUInt16(); }
            }
            if (tenant is not null) rows.Add(new(tenant, days));
        }
        return rows;
    }

    [LoggerMessage(LogLevel.Information, "Retention of tenant {Tenant} set to {Days} days")]
    private partial void LogChanged(string tenant, ushort days);
}
