using System.Buffers;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;
using CustomerService.HistoryWriter.Storage;
using Google.Protobuf;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>
/// An admin's second try of parked messages: each is read again as the archive reads it (decoded, checked against
/// its subject) and inserted alone. Archived, it leaves the parked table; refused again, it stays parked with the new
/// reason. A store that cannot take writes right now changes nothing (503) and leaves the message as it was.
/// </summary>
internal sealed partial class ParkedReplay(
    HistoryStore store,
    HistoryQueries queries,
    ParkingLot parking,
    TenantRetention retention,
    IArchivedStream<ChatMessage> messages,
    IArchivedStream<ConversationEvent> events,
    TimeProvider time,
    ILogger<ParkedReplay> logger)
{
    /// <summary>The message archived (null reason), or the reason it stays parked; null when the tenant has no such parked message.</summary>
    public async Task<ReplayOutcome?> ReplayAsync(string tenant, ParkedId id, string user, CancellationToken cancellationToken)
    {
        var parked = await queries.ParkedAsync(tenant, id, cancellationToken);
        return parked is null ? null : await ReplayAsync(tenant, parked, user, cancellationToken);
    }

    /// <summary>Replays up to <paramref name="limit"/> of the tenant's parked messages, newest first.</summary>
    public async Task<ParkedReplayReport> ReplayAllAsync(string tenant, int limit, string user, CancellationToken cancellationToken)
    {
        var replayed = 0;
        var stillParked = new List<ParkedView>();
        ParkedCursor? before = null;
        while (replayed + stillParked.Count < limit)
        {
            var page = await queries.ParkedAsync(tenant, Math.Min(100, limit - replayed - stillParked.Count), before, cancellationToken);
            foreach (var view in page.Parked)
            {
                var parked = new ParkedRow(view.ParkedAt.ToUnixTimeMilliseconds(), view.Stream, view.Subject, view.StreamSeq, view.Reason, view.PayloadBase64);
                var outcome = await ReplayAsync(tenant, parked, user, cancellationToken);
                if (outcome.Reason is null) replayed++;
                else stillParked.Add(view with { Reason = outcome.Reason, ParkedAt = outcome.At });
            }
            if (page.NextBefore is null || !ParkedCursor.TryParse(page.NextBefore, out var next)) break;
            before = next;
        }
        return new ParkedReplayReport(replayed, stillParked);
    }

    private async Task<ReplayOutcome> ReplayAsync(string tenant, ParkedRow parked, string user, CancellationToken cancellationToken)
    {
        var payload = Convert.FromBase64String(parked.PayloadBase64);
        string? reason;
        try
        {
            reason = parked.Stream == messages.Stream
                ? await ArchiveAsync(messages, payload, parked.Subject, cancellationToken)
                : await ArchiveAsync(events, payload, parked.Subject, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && StoreFailures.Classify(ex) == StoreFailure.Transient)
        {
            throw new HistoryStoreUnavailableException(ex);
        }
        var at = time.GetUtcNow();
        if (reason is null)
        {
            await parking.RemoveAsync(tenant, parked.Id, cancellationToken);
            LogReplayed(parked.Id.ToString(), tenant, user);
            return new ReplayOutcome(null, at);
        }
        await parking.ParkAsync([new ParkedMessage(parked.Stream, parked.Subject, parked.StreamSeq, reason, payload)], cancellationToken);
        LogStillParked(parked.Id.ToString(), tenant, user, reason);
        return new ReplayOutcome(reason, at);
    }

    /// <summary>Archives one payload as the consumer would; the reason it cannot be, or null once it is stored.</summary>
    private async Task<string?> ArchiveAsync<T>(IArchivedStream<T> stream, byte[] payload, string subject, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        if (stream.Read(payload, subject, out var record) is { } reason) return reason;
        await retention.RefreshIfStaleAsync(cancellationToken);
        var rows = new ArrayBufferWriter<byte>(1024);
        stream.Write(new RowBinaryWriter(rows), record!, retention.DaysFor(stream.TenantOf(record!)), time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            await store.Database.InsertAsync(stream.Table(store.Schema), stream.Columns, rows.WrittenMemory, cancellationToken);
            return null;
        }
        catch (Exception ex) when (StoreFailures.Classify(ex) == StoreFailure.RowRejected)
        {
            return ParkReasons.Rejected(ex);
        }
    }

    [LoggerMessage(LogLevel.Information, "Parked message {Id} of tenant {Tenant} replayed by {User}: archived")]
    private partial void LogReplayed(string id, string tenant, string user);

    [LoggerMessage(LogLevel.Warning, "Parked message {Id} of tenant {Tenant} replayed by {User}: still parked, {Reason}")]
    private partial void LogStillParked(string id, string tenant, string user, string reason);
}

/// <summary>How one replay ended: archived (no reason), or parked again at <see cref="At"/> with <see cref="Reason"/>.</summary>
internal readonly record struct ReplayOutcome(string? Reason, DateTimeOffset At);
