using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Blocklist;

/// <summary>Configuration section <c>Blocklist</c>.</summary>
public sealed class BlocklistOptions
{
    public const string Section = "Blocklist";

    /// <summary>Reload this often even without a change message, in case one was missed (Redis restarted, say).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Keeps <see cref="IpBlocklist"/> in step with Redis: a reload on every change message and every few seconds.
/// When Redis cannot be reached the last list stays in force.
/// </summary>
internal sealed partial class BlocklistSync(
    BlocklistStore store, IpBlocklist blocklist, IOptions<BlocklistOptions> options, TimeProvider time, ILogger<BlocklistSync> logger)
    : BackgroundService
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(3);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Enforce the list from the first request, but do not hold the gateway up when Redis is slow to come.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(StartPatience);
        try { await RefreshAsync().WaitAsync(patience.Token); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { LogStartWithoutList(); }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await store.SubscribeAsync(() => _changed.Writer.TryWrite(true)); }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException) { LogRefreshFailed(ex.Message); }

        while (!stoppingToken.IsCancellationRequested)
        {
            using (var interval = new CancellationTokenSource(options.Value.RefreshInterval, time))
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interval.Token))
            {
                try { await _changed.Reader.WaitToReadAsync(wait.Token); }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
            }
            _changed.Reader.TryRead(out _);
            if (!stoppingToken.IsCancellationRequested) await RefreshAsync();
        }
    }

    /// <summary>Reloads now; the API calls this after a change so its own replica enforces it at once.</summary>
    public async Task RefreshAsync()
    {
        try
        {
            var addresses = await store.LoadAsync();
            var before = blocklist.Blocked.Count;
            blocklist.Replace(addresses);
            if (before != addresses.Count) LogReloaded(addresses.Count);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogRefreshFailed(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "IP blocklist reloaded: {Count} addresses blocked")]
    private partial void LogReloaded(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IP blocklist not refreshed, the last list stays in force: {Reason}")]
    private partial void LogRefreshFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IP blocklist not loaded at start (Redis slow); it applies once Redis answers")]
    private partial void LogStartWithoutList();
}
