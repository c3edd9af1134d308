namespace CustomerService.HistoryWriter.Storage;

/// <summary>
/// The history database with its schema in place. The schema is created once, on first need, and retried while the
/// database cannot be reached (a ClickHouse server may start after this service).
/// </summary>
internal sealed partial class HistoryStore(IHistoryDatabase database, HistorySchema schema, TimeProvider time, ILogger<HistoryStore> logger)
    : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private Task? _ready;

    public IHistoryDatabase Database => database;
    public HistorySchema Schema => schema;

    public Task ReadyAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled) _ready = EnsureSchemaAsync();
            return _ready.WaitAsync(cancellationToken);
        }
    }

    public bool IsReady => _ready is { IsCompletedSuccessfully: true };

    private async Task EnsureSchemaAsync()
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await schema.EnsureAsync(database, CancellationToken.None);
                LogReady(database.Description, schema.Database);
                return;
            }
            catch (Exception ex) when (ex is not HistoryStoreRejectedException)
            {
                LogWaiting(ex, database.Description, delay);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();

    [LoggerMessage(LogLevel.Information, "History stored in {Database}, database {Name}")]
    private partial void LogReady(string database, string name);

    [LoggerMessage(LogLevel.Warning, "Waiting for {Database} to create the history schema; retrying in {Delay}")]
    private partial void LogWaiting(Exception ex, string database, TimeSpan delay);
}
