namespace CustomerService.HistoryWriter.Storage;

/// <summary>Reads the JSONEachRow output of a query in place (the span is valid only during the call).</summary>
internal delegate T JsonRowsReader<out T>(ReadOnlySpan<byte> jsonEachRow);

/// <summary>
/// Where history lives: a ClickHouse engine reached one way or another. Both ways run the same SQL
/// (<see cref="HistorySchema"/>, History/HistoryQueries), bind values only as {name:Type} parameters, return query
/// output as JSONEachRow and take inserts as RowBinary, so the rest of the service cannot tell them apart.
/// </summary>
internal interface IHistoryDatabase : IAsyncDisposable
{
    /// <summary>What this is, for logs: the engine version and where it keeps its data.</summary>
    string Description { get; }

    /// <exception cref="HistoryStoreRejectedException">The engine refused the statement.</exception>
    ValueTask ExecuteAsync(string sql, QueryParameters? parameters, CancellationToken cancellationToken);

    /// <exception cref="HistoryStoreRejectedException">The engine refused the query.</exception>
    ValueTask<T> QueryAsync<T>(string sql, QueryParameters? parameters, JsonRowsReader<T> read, CancellationToken cancellationToken);

    /// <summary>Inserts RowBinary-encoded rows of <paramref name="columns"/> into a table, as one insert.</summary>
    /// <exception cref="HistoryStoreRejectedException">The engine refused the rows (a constraint, a bad value, or its own state).</exception>
    ValueTask InsertAsync(string table, string columns, ReadOnlyMemory<byte> rowBinary, CancellationToken cancellationToken);
}

/// <summary>
/// The engine answered and said no: bad SQL, a violated constraint, a value it cannot take, but also a state of its
/// own (too many parts, a read-only table, a memory limit). <see cref="StoreFailures"/> tells the rows' fault from the
/// store's; anything else thrown by a database (connection refused, timeout) is the store's too.
/// </summary>
public sealed class HistoryStoreRejectedException(int code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>ClickHouse's error code (e.g. 469 VIOLATED_CONSTRAINT).</summary>
    public int Code { get; } = code;
}

/// <summary>The store cannot take writes right now (a transient failure, <see cref="StoreFailures"/>): try again shortly.</summary>
public sealed class HistoryStoreUnavailableException(Exception inner)
    : Exception("the history store cannot take writes right now: " + inner.Message, inner);
