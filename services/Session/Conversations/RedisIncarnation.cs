using StackExchange.Redis;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Which run of the Redis server this replica talks to (INFO's run_id, new on every start). A conversation's
/// sequence counter records the run it was last checked against; one numbered in another run may have lost its
/// latest increments (a crash before the append-only file reached the disk, a restore from an older copy), so
/// <see cref="ConversationStore"/> raises it to what JetStream holds before numbering again (docs/events.md,
/// "Sequence numbers"). The run is read at start, and again, before the next numbering, whenever the connection
/// failed: a restart always drops the connection.
/// </summary>
public sealed partial class RedisIncarnation : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<RedisIncarnation> _logger;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private volatile string? _runId;

    public RedisIncarnation(IConnectionMultiplexer redis, ILogger<RedisIncarnation> logger)
    {
        _redis = redis;
        _logger = logger;
        _redis.ConnectionFailed += Forget;
        _redis.ConnectionRestored += Forget;
    }

    /// <summary>The current run's id: no round trip while the connection has held since it was read.</summary>
    public ValueTask<string> CurrentAsync() => _runId is { } known ? ValueTask.FromResult(known) : new(ReadAsync());

    private async Task<string> ReadAsync()
    {
        await _reading.WaitAsync();
        try
        {
            if (_runId is { } known) return known;
            var info = (string?)await _redis.GetDatabase().ExecuteAsync("INFO", "server")
                ?? throw new InvalidOperationException("Redis answered INFO server with nothing");
            var runId = ParseRunId(info);
            LogRun(runId);
            return _runId = runId;
        }
        finally { _reading.Release(); }
    }

    /// <summary>The run_id line of INFO's server section.</summary>
    public static string ParseRunId(string info)
    {
        foreach (var line in info.Split('\n'))
            if (line.StartsWith("run_id:", StringComparison.Ordinal)) return line["run_id:".Length..].Trim();
        throw new InvalidOperationException("Redis's INFO server has no run_id");
    }

    private void Forget(object? sender, ConnectionFailedEventArgs e) => _runId = null;

    public void Dispose()
    {
        _redis.ConnectionFailed -= Forget;
        _redis.ConnectionRestored -= Forget;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis run {RunId}: conversations numbered in another run are checked against JetStream before their next number")]
    private partial void LogRun(string runId);
}
