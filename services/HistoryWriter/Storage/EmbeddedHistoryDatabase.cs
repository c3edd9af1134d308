using CustomerService.HistoryWriter.Storage.Chdb;

namespace CustomerService.HistoryWriter.Storage;

/// <summary>
/// History in the ClickHouse engine running inside this process (chDB), on a data directory. Statements take turns
/// on the engine (<see cref="ChdbConnection"/>); callers wait for theirs without holding a thread.
/// </summary>
internal sealed class EmbeddedHistoryDatabase(ChdbConnection connection) : IHistoryDatabase
{
    public static EmbeddedHistoryDatabase Open(string libraryPath, string dataDirectory) =>
        new(ChdbConnection.Open(libraryPath, dataDirectory));

    public string Description => $"embedded ClickHouse {ChdbLibrary.Version} (chDB) on {connection.DataDirectory}";

    public async ValueTask ExecuteAsync(string sql, QueryParameters? parameters, CancellationToken cancellationToken)
    {
        using var result = await RunAsync(sql, "TabSeparated", parameters, cancellationToken);
    }

    public async ValueTask<T> QueryAsync<T>(string sql, QueryParameters? parameters, JsonRowsReader<T> read, CancellationToken cancellationToken)
    {
        using var result = await RunAsync(sql, "JSONEachRow", parameters, cancellationToken);
        return read(result.Span);
    }

    public async ValueTask InsertAsync(string table, string columns, ReadOnlyMemory<byte> rowBinary, CancellationToken cancellationToken)
    {
        try
        {
            using var result = await connection.InsertAsync($"INSERT INTO {table} ({columns})", "RowBinary", rowBinary, cancellationToken);
        }
        catch (ChdbException ex)
        {
            throw new HistoryStoreRejectedException(ex.Code, ex.Message, ex);
        }
    }

    private async ValueTask<ChdbResult> RunAsync(string sql, string format, QueryParameters? parameters, CancellationToken cancellationToken)
    {
        var bound = new ChdbParameter[parameters?.Values.Count ?? 0];
        for (var i = 0; i < bound.Length; i++)
        {
            var (name, value) = parameters!.Values[i];
            bound[i] = new ChdbParameter(name, QueryParameters.ToEscapedText(value));
        }
        try
        {
            return await connection.QueryAsync(sql, format, bound, cancellationToken);
        }
        catch (ChdbException ex)
        {
            throw new HistoryStoreRejectedException(ex.Code, ex.Message, ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
