using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using CustomerService.HistoryWriter.Storage;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>
/// Archives one JetStream stream through a durable pull consumer. Messages are stored in batches, a batch closing
/// when it is full or when its first message has waited <see cref="HistoryOptions.BatchDelay"/>, and acked only once
/// stored, so a crash at any point loses nothing: what was not acked comes again, and what comes again is the same
/// row of a ReplacingMergeTree. Only a message that is provably bad is parked with its reason and acked: one that does
/// not decode or fails its checks, or that the engine refuses for its content when written alone
/// (<see cref="StoreFailures"/>). Any other store error holds the batch: it is retried with growing pauses, unacked
/// and unparked, until the store takes it.
/// </summary>
internal sealed partial class ArchiveConsumer<T> : BackgroundService where T : class, IMessage<T>
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>Pauses between tries of a batch the store did not take: 100 ms doubling, at most 5 s once it is back.</summary>
    internal static readonly TimeSpan FirstStorePause = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxStorePause = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Largest insert sent at once: the embedded engine reads inline data only up to about 16 MiB (measured: a 20 MB
    /// insert lost its tail), and batches of long messages would pass that.
    /// </summary>
    private const int MaxInsertBytes = 4 << 20;

    private readonly IArchivedStream<T> _stream;
    private readonly INatsJSContext _js;
    private readonly HistoryStore _store;
    private readonly TenantRetention _retention;
    private readonly ParkingLot _parking;
    private readonly HistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _rows = new(1 << 20);
    private readonly List<(INatsJSMsg<NatsMemoryOwner<byte>> Message, T Record)> _records;
    private readonly List<ParkedMessage> _poison = [];

    public ArchiveConsumer(IArchivedStream<T> stream, INatsJSContext js, HistoryStore store, TenantRetention retention, ParkingLot parking,
        IOptions<HistoryOptions> options, TimeProvider time, ILogger<ArchiveConsumer<T>> logger)
    {
        _stream = stream;
        _js = js;
        _store = store;
        _retention = retention;
        _parking = parking;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _records = new(_options.BatchSize);
    }

    public string ConsumerName => ArchiveConsumerNames.For(_options, _stream);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _store.ReadyAsync(stoppingToken);
        var consumer = await RetryAsync(CreateConsumerAsync, "create the consumer", stoppingToken);
        await RetryAsync(async ct => { await _retention.RefreshAsync(ct); return true; }, "read retention settings", stoppingToken);
        LogStarted(ConsumerName, _stream.Stream);

        var buffered = Channel.CreateBounded<INatsJSMsg<NatsMemoryOwner<byte>>>(new BoundedChannelOptions(_options.BatchSize * 2)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var pump = PumpAsync(consumer, buffered.Writer, stop.Token);
        try
        {
            await ArchiveBatchesAsync(buffered.Reader, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was not acked is handed back below.
        }
        finally
        {
            await stop.CancelAsync();
            try { await pump; } catch (OperationCanceledException) { }
            // Hand back what was fetched and not stored, so that the next consumer gets it now rather than after AckWait.
            while (buffered.Reader.TryRead(out var unstored)) await ReleaseAsync(unstored);
        }
    }

    private async Task<INatsJSConsumer> CreateConsumerAsync(CancellationToken cancellationToken)
    {
        await ChatStreams.EnsureAsync(_js, cancellationToken);
        return await _js.CreateOrUpdateConsumerAsync(_stream.Stream, new ConsumerConfig(ConsumerName)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckWait = _options.AckWait,
            MaxAckPending = _options.MaxAckPending,
            MaxDeliver = -1,
        }, cancellationToken);
    }

    /// <summary>Moves messages from JetStream into a bounded buffer, so fetching goes on while a batch is stored.</summary>
    private async Task PumpAsync(INatsJSConsumer consumer, ChannelWriter<INatsJSMsg<NatsMemoryOwner<byte>>> buffer, CancellationToken cancellationToken)
    {
        var opts = new NatsJSConsumeOpts { MaxMsgs = Math.Min(_options.BatchSize * 2, _options.MaxAckPending) };
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<NatsMemoryOwner<byte>>.Default, opts, cancellationToken))
                    await buffer.WriteAsync(message, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogConsumeFailed(ex, ConsumerName);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken);
            }
        }
    }

    private async Task ArchiveBatchesAsync(ChannelReader<INatsJSMsg<NatsMemoryOwner<byte>>> buffer, CancellationToken cancellationToken)
    {
        var batch = new List<INatsJSMsg<NatsMemoryOwner<byte>>>(_options.BatchSize);
        while (await buffer.WaitToReadAsync(cancellationToken))
        {
            var opened = _time.GetTimestamp();
            Take(buffer, batch);
            while (batch.Count < _options.BatchSize)
            {
                var remaining = _options.BatchDelay - _time.GetElapsedTime(opened);
                if (remaining <= TimeSpan.Zero) break;
                var more = buffer.WaitToReadAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(more, Task.Delay(remaining, _time, cancellationToken)) != more || !await more) break;
                Take(buffer, batch);
            }
            await StoreWithRetryAsync(batch, cancellationToken);
            batch.Clear();
        }
    }

    private void Take(ChannelReader<INatsJSMsg<NatsMemoryOwner<byte>>> buffer, List<INatsJSMsg<NatsMemoryOwner<byte>>> batch)
    {
        while (batch.Count < _options.BatchSize && buffer.TryRead(out var message)) batch.Add(message);
    }

    private async Task StoreWithRetryAsync(List<INatsJSMsg<NatsMemoryOwner<byte>>> batch, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var activity = HistoryTelemetry.Source.StartActivity("history archive " + _stream.Stream);
        activity?.SetTag("messaging.batch.message_count", batch.Count);
        var delay = FirstStorePause;
        var acked = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await StoreAsync(batch, cancellationToken);
                    if (attempt > 1) LogStoredAfterRetries(_stream.Stream, batch.Count, attempt);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The store cannot take the batch now (StoreFailures): the consumer holds its place. The batch stays
                    // ours (in progress, so not redelivered to another replica meanwhile), nothing is acked or parked.
                    if (attempt == 1 || attempt % 10 == 0) LogStoreFailed(ex, _stream.Stream, batch.Count, attempt, delay);
                    activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                    HistoryTelemetry.StoreRetries.Add(1);
                    await InProgressAsync(batch, cancellationToken);
                    await Task.Delay(delay, _time, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxStorePause.Ticks));
                }
            }
            foreach (var message in batch) await message.AckAsync(cancellationToken: cancellationToken);
            acked = true;
            HistoryTelemetry.Archived.Add(batch.Count - _poison.Count);
            HistoryTelemetry.BatchDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            if (acked) foreach (var message in batch) message.Data.Dispose();
            else foreach (var message in batch) await ReleaseAsync(message);
        }
    }

    /// <summary>Tells JetStream the batch is still being worked on, so its AckWait starts again; NATS being away too changes nothing here.</summary>
    private static async ValueTask InProgressAsync(List<INatsJSMsg<NatsMemoryOwner<byte>>> batch, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var message in batch) await message.AckProgressAsync(cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is NatsException or ObjectDisposedException or TimeoutException)
        {
            // Redelivered after AckWait then, and stored once all the same.
        }
    }

    /// <summary>Gives a message back unstored (on shutdown): JetStream delivers it again at once.</summary>
    private static async ValueTask ReleaseAsync(INatsJSMsg<NatsMemoryOwner<byte>> message)
    {
        try
        {
            await message.NakAsync();
        }
        catch (Exception ex) when (ex is NatsException or ObjectDisposedException or OperationCanceledException)
        {
            // Connection gone: JetStream redelivers it after AckWait all the same.
        }
        finally
        {
            message.Data.Dispose();
        }
    }

    /// <summary>Stores (or parks) every message of the batch; throws when the store could not take it (a transient failure).</summary>
    private async Task StoreAsync(List<INatsJSMsg<NatsMemoryOwner<byte>>> batch, CancellationToken cancellationToken)
    {
        _records.Clear();
        _poison.Clear();
        foreach (var message in batch)
        {
            if (_stream.Read(message.Data.Memory.Span, message.Subject, out var record) is { } reason) _poison.Add(Park(message, reason));
            else _records.Add((message, record!));
        }

        await _retention.RefreshIfStaleAsync(cancellationToken);
        await InsertAsync(0, _records.Count, cancellationToken);
        await _parking.ParkAsync(_poison, cancellationToken);
    }

    /// <summary>
    /// Inserts records [start, start + count) as one insert. When the engine refuses it for its rows' content, halves
    /// narrow the refusal down to the records it is about, which are parked; the rest is stored. Any other failure
    /// goes up, and the whole batch is tried again (what was inserted already is the same rows again).
    /// </summary>
    private async Task InsertAsync(int start, int count, CancellationToken cancellationToken)
    {
        if (count == 0) return;
        _rows.ResetWrittenCount();
        var row = new RowBinaryWriter(_rows);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = start; i < start + count; i++)
        {
            var record = _records[i].Record;
            _stream.Write(row, record, _retention.DaysFor(_stream.TenantOf(record)), now);
        }
        if (_rows.WrittenCount > MaxInsertBytes && count > 1)
        {
            await InsertAsync(start, count / 2, cancellationToken);
            await InsertAsync(start + count / 2, count - count / 2, cancellationToken);
            return;
        }
        try
        {
            await _store.Database.InsertAsync(_stream.Table(_store.Schema), _stream.Columns, _rows.WrittenMemory, cancellationToken);
        }
        catch (Exception ex) when (StoreFailures.Classify(ex) == StoreFailure.RowRejected)
        {
            if (count == 1)
            {
                _poison.Add(Park(_records[start].Message, ParkReasons.Rejected(ex)));
                return;
            }
            var half = count / 2;
            await InsertAsync(start, half, cancellationToken);
            await InsertAsync(start + half, count - half, cancellationToken);
        }
    }

    private ParkedMessage Park(INatsJSMsg<NatsMemoryOwner<byte>> message, string reason) =>
        new(_stream.Stream, message.Subject, message.Metadata?.Sequence.Stream ?? 0, reason, message.Data.Memory);

    private async Task<TResult> RetryAsync<TResult>(Func<CancellationToken, Task<TResult>> action, string what, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await action(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogStartRetry(ex, ConsumerName, what, delay);
                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Archiving {Stream} through durable consumer {Consumer}")]
    private partial void LogStarted(string consumer, string stream);

    [LoggerMessage(LogLevel.Warning, "Consumer {Consumer} could not {What}; retrying in {Delay}")]
    private partial void LogStartRetry(Exception ex, string consumer, string what, TimeSpan delay);

    [LoggerMessage(LogLevel.Warning, "Consuming through {Consumer} failed; resuming")]
    private partial void LogConsumeFailed(Exception ex, string consumer);

    [LoggerMessage(LogLevel.Error, "Storing a batch of {Count} {Stream} messages failed (try {Attempt}); holding it, next try in {Delay}")]
    private partial void LogStoreFailed(Exception ex, string stream, int count, int attempt, TimeSpan delay);

    [LoggerMessage(LogLevel.Information, "Stored a batch of {Count} {Stream} messages after {Attempts} tries")]
    private partial void LogStoredAfterRetries(string stream, int count, int attempts);
}
