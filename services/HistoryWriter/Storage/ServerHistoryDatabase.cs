using System.Runtime.InteropServices;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO.Parameters;
using ClickHouse.Driver.Utility;

namespace CustomerService.HistoryWriter.Storage;

/// <summary>History on a ClickHouse server or cluster, reached over its HTTP interface by ClickHouse.Driver.</summary>
internal sealed class ServerHistoryDatabase(ClickHouseClient client) : IHistoryDatabase
{
    private readonly string[] _noColumns = [];

    public string Description => $"ClickHouse server {client.Settings.Host}:{client.Settings.Port} (ClickHouse.Driver)";

    public async ValueTask ExecuteAsync(string sql, QueryParameters? parameters, CancellationToken cancellationToken)
    {
        try
        {
            await client.ExecuteNonQueryAsync(sql, ToCollection(parameters), cancellationToken: cancellationToken);
        }
        catch (ClickHouseServerException ex)
        {
            throw Rejected(ex);
        }
    }

    public async ValueTask<T> QueryAsync<T>(string sql, QueryParameters? parameters, JsonRowsReader<T> read, CancellationToken cancellationToken)
    {
        try
        {
            using var connection = client.CreateConnection();
            using var command = connection.CreateCommand();
            command.CommandText = sql + "\nFORMAT JSONEachRow";
            if (parameters is not null)
                foreach (var (name, value) in parameters.Values) command.AddParameter(name, value);
            using var result = await command.ExecuteRawResultAsync(cancellationToken);
            var bytes = await result.ReadAsByteArrayAsync();
            return read(bytes);
        }
        catch (ClickHouseServerException ex)
        {
            throw Rejected(ex);
        }
    }

    public async ValueTask InsertAsync(string table, string columns, ReadOnlyMemory<byte> rowBinary, CancellationToken cancellationToken)
    {
        var body = MemoryMarshal.TryGetArray(rowBinary, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(rowBinary.ToArray(), writable: false);
        try
        {
            await using (body)
            {
                using var response = await client.InsertRawStreamAsync(table, body, "RowBinary", SplitColumns(columns), true,
                    cancellationToken: cancellationToken);
            }
        }
        catch (ClickHouseServerException ex)
        {
            throw Rejected(ex);
        }
    }

    private string[] SplitColumns(string columns) =>
        columns.Length == 0 ? _noColumns : columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static ClickHouseParameterCollection? ToCollection(QueryParameters? parameters)
    {
        if (parameters is null) return null;
        var collection = new ClickHouseParameterCollection();
        foreach (var (name, value) in parameters.Values) collection.AddParameter(name, value);
        return collection;
    }

    private static HistoryStoreRejectedException Rejected(ClickHouseServerException ex) =>
        new(ClickHouseErrorCode.Parse(ex.Message), ex.Message, ex);

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        return ValueTask.CompletedTask;
    }
}
