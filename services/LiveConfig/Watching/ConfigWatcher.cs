using System.Text.Json;
using CustomerService.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomerService.LiveConfig;

/// <summary>
/// Keeps <see cref="ILiveConfig.Current"/> in step with Admin: watches ConfigStream for the service's sections,
/// applies the full snapshot at once and then each change as it comes, and when the stream breaks keeps serving
/// the last good configuration while it reconnects (exponential backoff with jitter) and resumes after the
/// last version it applied.
/// </summary>
public sealed partial class ConfigWatcher : BackgroundService, ILiveConfig
{
    private readonly ConfigStream.ConfigStreamClient _client;
    private readonly LiveConfigOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ConfigWatcher> _logger;
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LiveConfigSnapshot _current = LiveConfigSnapshot.Empty;
    private volatile bool _connected;

    public ConfigWatcher(ConfigStream.ConfigStreamClient client, IOptions<LiveConfigOptions> options, TimeProvider time, ILogger<ConfigWatcher> logger)
    {
        _client = client;
        _options = options.Value;
        _time = time;
        _logger = logger;
        foreach (var section in _options.Sections) ConfigSections.Get(section);
    }

    public LiveConfigSnapshot Current => Volatile.Read(ref _current);

    public event Action<LiveConfigChange>? Changed;

    /// <summary>True while a stream to Admin is open and the configuration is current.</summary>
    public bool IsConnected => _connected;

    public Task WaitUntilLoadedAsync(CancellationToken cancellationToken) => _loaded.Task.WaitAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = _options.Subscriber ?? $"{AppDomain.CurrentDomain.FriendlyName}@{Environment.MachineName}:{Environment.ProcessId}";
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var received = await WatchOnceAsync(subscriber, stoppingToken);
                // The server ended the stream (it is shutting down): reconnect promptly, elsewhere if need be.
                failures = received ? 0 : failures + 1;
                LogStreamEnded(Current.Version);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever broke the stream (Admin gone, discovery not answering yet, a protocol error), the service
                // keeps its configuration and tries again: a watcher that died would freeze it silently.
                failures++;
                LogStreamFailed(e, Current.Version, failures);
            }
            finally
            {
                _connected = false;
            }

            try { await Task.Delay(ReconnectDelay(failures), _time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>One Watch call; returns whether anything arrived (a healthy stream resets the backoff).</summary>
    private async Task<bool> WatchOnceAsync(string subscriber, CancellationToken cancellationToken)
    {
        var request = new WatchRequest { AfterVersion = Current.Version, Subscriber = subscriber };
        request.Sections.AddRange(_options.Sections);
        using var call = _client.Watch(request, cancellationToken: cancellationToken);
        LiveConfigSnapshot.Builder? pending = null;
        var received = false;
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            var change = call.ResponseStream.Current;
            if (!received)
            {
                received = true;
                _connected = true;
                LogConnected(request.AfterVersion);
            }

            if (change.Snapshot)
            {
                pending ??= new LiveConfigSnapshot.Builder();
                if (change.Section.Length > 0 && change.Json.Length > 0 && Parse(change) is { } document)
                    pending.Set(change.Section, change.TenantId, document);
                if (change.SnapshotComplete)
                {
                    Publish(pending.Build(change.Version), null, null, isReload: true);
                    pending = null;
                    _loaded.TrySetResult();
                    LogSnapshotApplied(change.Version);
                }
                continue;
            }

            var current = Current;
            if (change.Version <= current.Version) continue;
            if (!_options.Sections.Contains(change.Section)) { Volatile.Write(ref _current, current.WithVersion(change.Version)); continue; }
            if (change.Json.Length == 0)
                Publish(current.With(change.Section, change.TenantId, null, change.Version), change.Section, change.TenantId, isReload: false);
            else if (Parse(change) is { } document)
                Publish(current.With(change.Section, change.TenantId, document, change.Version), change.Section, change.TenantId, isReload: false);
            else
                // The last good document stays; the version still advances so a resume does not fetch it again.
                Volatile.Write(ref _current, current.WithVersion(change.Version));
        }
        return received;
    }

    private object? Parse(ConfigChange change)
    {
        if (!ConfigSections.TryGet(change.Section, out var descriptor)) return null;
        try
        {
            return descriptor.Parse(change.Json, strict: false);
        }
        catch (JsonException e)
        {
            LogBadDocument(e, change.Section, change.TenantId, change.Version);
            return null;
        }
    }

    private void Publish(LiveConfigSnapshot next, string? section, string? tenantId, bool isReload)
    {
        Volatile.Write(ref _current, next);
        if (Changed is not { } handlers) return;
        var args = new LiveConfigChange(next, section, tenantId, isReload);
        foreach (var handler in handlers.GetInvocationList())
        {
            try { ((Action<LiveConfigChange>)handler)(args); }
            catch (Exception e) { LogHandlerFailed(e, args.Section ?? "*", args.TenantId ?? "*"); }
        }
    }

    private TimeSpan ReconnectDelay(int failures)
    {
        if (failures == 0) return _options.InitialReconnectDelay;
        var ceiling = Math.Min(_options.MaxReconnectDelay.TotalMilliseconds,
            _options.InitialReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16)));
        // Half of the delay random: replicas that lost Admin together do not all come back in the same instant.
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    [LoggerMessage(LogLevel.Information, "Watching live configuration (after version {Version})")]
    private partial void LogConnected(long version);

    [LoggerMessage(LogLevel.Information, "Live configuration snapshot applied at version {Version}")]
    private partial void LogSnapshotApplied(long version);

    [LoggerMessage(LogLevel.Information, "Live configuration stream ended at version {Version}; reconnecting")]
    private partial void LogStreamEnded(long version);

    [LoggerMessage(LogLevel.Warning, "Live configuration stream failed at version {Version} (attempt {Failures}); keeping the last configuration and reconnecting")]
    private partial void LogStreamFailed(Exception exception, long version, int failures);

    [LoggerMessage(LogLevel.Error, "Live configuration {Section} of tenant {Tenant} at version {Version} could not be read; keeping the previous one")]
    private partial void LogBadDocument(Exception exception, string section, string tenant, long version);

    [LoggerMessage(LogLevel.Error, "A live configuration subscriber failed on the change of {Section} for tenant {Tenant}")]
    private partial void LogHandlerFailed(Exception exception, string section, string tenant);
}
