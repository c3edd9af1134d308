using System.Buffers;
using System.Text;
using CustomerService.HistoryWriter.Storage.Chdb;

namespace CustomerService.HistoryWriter.Storage;

/// <summary>History in the ClickHouse engine running inside this process (chDB), on a data directory.</summary>
internal sealed class EmbeddedHistoryDatabase(ChdbConnection connection) : IHistoryDatabase
{
    public static EmbeddedHistoryDatabase Open(string libraryPath, string dataDirectory) =>
        new(ChdbConnection.Open(libraryPath, dataDirectory));

    public string Description => $"embedded ClickHouse {ChdbLibrary.Version} (chDB) on {connection.DataDirectory}";

    public ValueTask ExecuteAsync(string sql, QueryParameters? parameters, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var result = Run(sql, "TabSeparated", parameters);
        return ValueTask.CompletedTask;
    }

    public ValueTask<T> QueryAsync<T>(string sql, QueryParameters? parameters, JsonRowsReader<T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var result = Run(sql, "JSONEachRow", parameters);
        return ValueTask.FromResult(read(result.Span));
    }

    public ValueTask InsertAsync(string table, string columns, ReadOnlyMemory<byte> rowBinary, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // The rows travel inline after the statement, as ClickHouse's HTTP interface appends a request body to its query.
        var header = $"INSERT INTO {table} ({columns}) FORMAT RowBinary\n";
        var headerLength = Encoding.UTF8.GetByteCount(header);
        var buffer = ArrayPool<byte>.Shared.Rent(headerLength + rowBinary.Length);
        try
        {
            Encoding.UTF8.GetBytes(header, buffer);
            rowBinary.Span.CopyTo(buffer.AsSpan(headerLength));
            using var result = connection.Query(buffer.AsSpan(0, headerLength + rowBinary.Length), "TabSeparated", []);
            return ValueTask.CompletedTask;
        }
        catch (ChdbException ex)
        {
            throw new HistoryStoreRejectedException(ex.Code, ex.Message, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ChdbResult Run(string sql, string format, QueryParameters? parameters)
    {
        try
        {
            if (parameters is null || parameters.Values.Count == 0) return connection.Query(sql, format);
            var bound = new ChdbParameter[parameters.Values.Count];
            for (var i = 0; i < bound.Length; i++)
            {
                var (name, value) = parameters.Values[i];
                bound[i] = new ChdbParameter(name, QueryParameters.ToEscapedText(value));
            }
            return connection.Query(sql, format, bound);
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
