using CustomerService.Contracts;
using CustomerService.HistoryWriter.Storage;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>A message the archive cannot store, kept as it arrived with the reason, so that it is acked and not retried.</summary>
internal readonly record struct ParkedMessage(string Stream, string Subject, ulong StreamSequence, string Reason, ReadOnlyMemory<byte> Payload);

/// <summary>The parked table: poison messages with their reason, readable and replayable by the tenant's admins.</summary>
internal sealed partial class ParkingLot(HistoryStore store, TimeProvider time, ILogger<ParkingLot> logger)
{
    public async Task ParkAsync(IReadOnlyList<ParkedMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0) return;
        // Parking is rare: a buffer per call keeps both archive consumers free to park at once.
        var rows = new System.Buffers.ArrayBufferWriter<byte>(4096);
        var row = new RowBinaryWriter(rows);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var m in messages)
        {
            row.DateTime64Milliseconds(now);
            row.String(m.Stream);
            row.String(m.Subject);
            row.UInt64(m.StreamSequence);
            row.String(SubjectTokens.Tenant(m.Subject));
            row.String(m.Reason);
            row.Bytes(m.Payload.Span);
        }
        await store.Database.InsertAsync(store.Schema.Parked, HistorySchema.ParkedColumns, rows.WrittenMemory, cancellationToken);
        foreach (var m in messages) LogParked(m.Stream, m.StreamSequence, m.Subject, m.Reason);
        HistoryTelemetry.Parked.Add(messages.Count);
    }

    /// <summary>Takes a message off the parked table (once it is archived after all).</summary>
    public async Task RemoveAsync(string tenant, ParkedId id, CancellationToken cancellationToken) =>
        await store.Database.ExecuteAsync(
            $"DELETE FROM {store.Schema.Parked} WHERE tenant_id = {{tenant:String}} AND stream = {{stream:String}} AND stream_seq = toUInt64({{seq:Int64}})",
            new QueryParameters().Add("tenant", tenant).Add("stream", id.Stream).Add("seq", (long)id.StreamSeq), cancellationToken);

    [LoggerMessage(LogLevel.Warning, "Parked {Stream} message {Sequence} on {Subject}: {Reason}")]
    private partial void LogParked(string stream, ulong sequence, string subject, string reason);
}
