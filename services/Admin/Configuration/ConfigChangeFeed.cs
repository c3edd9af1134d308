using System.Threading.Channels;
using Npgsql;

namespace CustomerService.Admin.Configuration;

/// <summary>
/// Every committed configuration change, once per Admin replica, handed to each open Watch stream. It LISTENs
/// for the NOTIFY a write sends at commit and reads the change log after the last version it passed on; it
/// also reads the log every <see cref="FallbackPollInterval"/>, so a notification lost while reconnecting to
/// PostgreSQL costs at most that much delay. Because writers commit in version order, reading "after the last
/// version" never skips one.
/// </summary>
public sealed partial class ConfigChangeFeed(NpgsqlDataSource dataSource, TimeProvider time, ILogger<ConfigChangeFeed> logger) : BackgroundService
{
    public static readonly TimeSpan FallbackPollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Changes a stream may fall behind by before it is ended (its subscriber resumes from its version).</summary>
    public const int SubscriberBuffer = 4096;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Subscription[] _subscriptions = [];
    private long _cursor;

    /// <summary>
    /// Completes once the feed knows where the log stands. A Watch waits for it before reading its snapshot, so
    /// every change after the snapshot reaches it through the feed.
    /// </summary>
    public Task WaitStartedAsync(CancellationToken cancellationToken) => _started.Task.WaitAsync(cancellationToken);

    /// <summary>Changes committed from now on, in version order. Dispose to stop receiving.</summary>
    public Subscription Subscribe()
    {
        var subscription = new Subscription(this);
        lock (_gate) _subscriptions = [.. _subscriptions, subscription];
        return subscription;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogListenFailed(e, _cursor);
                try { await Task.Delay(RetryDelay, time, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
        lock (_gate)
            foreach (var subscription in _subscriptions) subscription.Writer.TryComplete();
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {ConfigStore.Channel}", connection))
            await listen.ExecuteNonQueryAsync(cancellationToken);

        if (!_started.Task.IsCompleted)
        {
            await using var max = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM config_changes", connection);
            _cursor = (long)(await max.ExecuteScalarAsync(cancellationToken))!;
            _started.TrySetResult();
            LogStarted(_cursor);
        }

        while (true)
        {
            // Also after a reconnect: whatever committed while the connection was down.
            await foreach (var change in ConfigStore.ReadChangesAfterAsync(connection, _cursor, null, cancellationToken))
            {
                _cursor = change.Version;
                Publish(change);
            }
            await connection.WaitAsync(FallbackPollInterval, cancellationToken);
        }
    }

    private void Publish(ConfigChangeRow change)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.Writer.TryWrite(change)) continue;
            LogSubscriberBehind(change.Version);
            subscription.Writer.TryComplete(new SubscriberTooSlowException());
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate) _subscriptions = [.. _subscriptions.Where(s => s != subscription)];
    }

    public sealed class Subscription : IDisposable
    {
        private readonly ConfigChangeFeed _feed;
        private readonly Channel<ConfigChangeRow> _channel = Channel.CreateBounded<ConfigChangeRow>(
            new BoundedChannelOptions(SubscriberBuffer) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        internal Subscription(ConfigChangeFeed feed) => _feed = feed;

        public ChannelReader<ConfigChangeRow> Reader => _channel.Reader;
        internal ChannelWriter<ConfigChangeRow> Writer => _channel.Writer;

        public void Dispose()
        {
            _feed.Remove(this);
            _channel.Writer.TryComplete();
        }
    }

    /// <summary>A Watch stream that fell <see cref="SubscriberBuffer"/> changes behind; its subscriber resumes from its version.</summary>
    public sealed class SubscriberTooSlowException() : Exception("The subscriber fell too far behind the change feed.");

    [LoggerMessage(LogLevel.Information, "Configuration change feed listening from version {Version}")]
    private partial void LogStarted(long version);

    [LoggerMessage(LogLevel.Warning, "Configuration change feed lost PostgreSQL at version {Version}; reconnecting")]
    private partial void LogListenFailed(Exception exception, long version);

    [LoggerMessage(LogLevel.Warning, "A Watch stream fell too far behind at version {Version}; ending it so that it resumes")]
    private partial void LogSubscriberBehind(long version);
}
