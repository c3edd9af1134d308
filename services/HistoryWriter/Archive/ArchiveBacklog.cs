using System.Diagnostics.Metrics;
using CustomerService.Contracts;
using Google.Protobuf;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>
/// What the archive has not yet taken from one stream, against the stream's limits (<see cref="ChatStreams"/>:
/// age and bytes, oldest discarded first). Past <see cref="AlarmShare"/> of either limit the stream may soon drop
/// messages the archive never had; <see cref="Dropped"/> counts those it already did.
/// </summary>
public sealed record ArchiveBacklog(string Stream, string Consumer, ulong Messages, TimeSpan OldestAge, long Bytes, long MaxBytes,
    TimeSpan MaxAge, ulong Dropped)
{
    /// <summary>Half of a limit: time enough to bring the archive back before it bites.</summary>
    public const double AlarmShare = 0.5;

    public double BytesShare => MaxBytes > 0 ? (double)Bytes / MaxBytes : 0;
    public double AgeShare => MaxAge > TimeSpan.Zero ? OldestAge / MaxAge : 0;
    public bool Alarming => Dropped > 0 || BytesShare >= AlarmShare || AgeShare >= AlarmShare;

    public string Describe() =>
        $"{Stream}: {Messages} messages not yet archived by {Consumer}, the oldest {OldestAge.TotalHours:F1} h old " +
        $"({AgeShare:P0} of the stream's {MaxAge.TotalDays:F0} days), ~{Bytes >> 20} MiB ({BytesShare:P0} of its {MaxBytes >> 20} MiB)" +
        (Dropped > 0 ? $"; {Dropped} discarded by the stream before they were archived" : "");

    /// <summary>
    /// From the stream's and the consumer's state: the backlog's bytes are estimated from the stream's mean message
    /// size; a consumer whose next message lies below the stream's first has lost the ones between.
    /// </summary>
    public static ArchiveBacklog From(StreamInfo stream, ConsumerInfo consumer, DateTimeOffset? oldestUnarchived, DateTimeOffset now)
    {
        var state = stream.State;
        ulong messages = consumer.NumPending + (ulong)Math.Max(0, consumer.NumAckPending);
        long bytes = state.Messages > 0 ? (long)(state.Bytes * Math.Min(1.0, (double)messages / state.Messages)) : 0;
        ulong next = (consumer.AckFloor?.StreamSeq ?? 0) + 1;
        ulong dropped = state.Messages > 0 && state.FirstSeq > next ? state.FirstSeq - next : 0;
        var age = messages > 0 && oldestUnarchived is { } oldest && oldest < now ? now - oldest : TimeSpan.Zero;
        return new ArchiveBacklog(stream.Config.Name ?? "", consumer.Name ?? "", messages, age, bytes, stream.Config.MaxBytes,
            stream.Config.MaxAge, dropped);
    }
}

/// <summary>
/// Checks each archived stream's backlog every <see cref="HistoryOptions.BacklogCheckInterval"/>: a warning (an error
/// once messages were discarded unarchived) in the log, a degraded health check (<c>archive-backlog</c>) and the
/// meters <c>history.backlog.messages</c> and <c>history.backlog.age</c>, so an archive that stopped keeping up is
/// seen while the streams still hold what it missed (docs/history.md, "Stream limits and the backlog").
/// </summary>
internal sealed partial class ArchiveBacklogWatch : BackgroundService, IHealthCheck
{
    private static readonly Meter Meter = new(Microsoft.Extensions.Hosting.Extensions.ActivitySourceName);
    private readonly INatsJSContext _js;
    private readonly IReadOnlyList<(string Stream, string Consumer)> _watched;
    private readonly HistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ArchiveBacklogWatch> _logger;
    private volatile IReadOnlyList<ArchiveBacklog> _latest = [];

    public ArchiveBacklogWatch(INatsJSContext js, IArchivedStream<ChatMessage> messages, IArchivedStream<ConversationEvent> events,
        IOptions<HistoryOptions> options, TimeProvider time, ILogger<ArchiveBacklogWatch> logger)
    {
        _js = js;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _watched = [(messages.Stream, ArchiveConsumerNames.For(_options, messages)), (events.Stream, ArchiveConsumerNames.For(_options, events))];
        Meter.CreateObservableGauge("history.backlog.messages", () => _latest.Select(b => new Measurement<long>((long)b.Messages,
            new KeyValuePair<string, object?>("stream", b.Stream))), "{message}", "Messages the archive has not yet taken");
        Meter.CreateObservableGauge("history.backlog.age", () => _latest.Select(b => new Measurement<double>(b.OldestAge.TotalSeconds,
            new KeyValuePair<string, object?>("stream", b.Stream))), "s", "Age of the oldest message the archive has not yet taken");
    }

    public IReadOnlyList<ArchiveBacklog> Latest => _latest;

    /// <summary>One stream's backlog as JetStream tells it now.</summary>
    public async Task<ArchiveBacklog> AssessAsync(string streamName, string consumerName, CancellationToken ct)
    {
        var stream = await _js.GetStreamAsync(streamName, cancellationToken: ct);
        var consumer = await _js.GetConsumerAsync(streamName, consumerName, ct);
        DateTimeOffset? oldest = null;
        var info = consumer.Info;
        if (info.NumPending + (ulong)Math.Max(0, info.NumAckPending) > 0)
        {
            try
            {
                var next = Math.Max((info.AckFloor?.StreamSeq ?? 0) + 1, stream.Info.State.FirstSeq);
                oldest = (await ((NatsJSStream)stream).GetAsync(new StreamMsgGetRequest { Seq = next }, ct)).Message.Time;
            }
            catch (NatsJSApiException) { } // taken meanwhile, or deleted: the age stays unknown this time
        }
        return ArchiveBacklog.From(stream.Info, info, oldest, _time.GetUtcNow());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.BacklogCheckInterval, _time);
        do
        {
            var found = new List<ArchiveBacklog>(_watched.Count);
            foreach (var (stream, consumer) in _watched)
            {
                try { found.Add(await AssessAsync(stream, consumer, stoppingToken)); }
                catch (Exception ex) when (ex is NatsJSException or NATS.Client.Core.NatsException or TimeoutException && !stoppingToken.IsCancellationRequested)
                {
                    LogCheckFailed(ex, stream); // the consumer may not exist yet, or NATS is away: the next check tells
                }
            }
            _latest = found;
            foreach (var backlog in found.Where(b => b.Alarming))
                if (backlog.Dropped > 0) LogDropped(backlog.Describe()); else LogAlarming(backlog.Describe());
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var alarming = _latest.Where(b => b.Alarming).Select(b => b.Describe()).ToArray();
        return Task.FromResult(alarming.Length == 0
            ? HealthCheckResult.Healthy("the archive keeps up with the streams")
            : HealthCheckResult.Degraded(string.Join("; ", alarming)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "archive backlog past half a stream limit: {Backlog}")]
    private partial void LogAlarming(string backlog);

    [LoggerMessage(Level = LogLevel.Error, Message = "archive backlog: messages were discarded before the archive took them: {Backlog}")]
    private partial void LogDropped(string backlog);

    [LoggerMessage(Level = LogLevel.Debug, Message = "archive backlog of {Stream} not checked")]
    private partial void LogCheckFailed(Exception ex, string stream);
}

/// <summary>The archive's durable consumer of each stream: {History:ConsumerName}-{suffix} (history-messages, history-events).</summary>
internal static class ArchiveConsumerNames
{
    public static string For<T>(HistoryOptions options, IArchivedStream<T> stream) where T : IMessage<T> =>
        $"{options.ConsumerName}-{stream.ConsumerSuffix}";
}
