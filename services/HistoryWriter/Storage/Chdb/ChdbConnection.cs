using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>A query parameter for a {name:Type} placeholder, its value already in ClickHouse's escaped text form.</summary>
internal readonly record struct ChdbParameter(string Name, string EscapedValue);

/// <summary>
/// A connection to the embedded ClickHouse engine. chDB runs one engine per process on one data directory; every
/// connection of the process must name the same one. The engine runs one statement at a time: concurrent calls
/// through its C API mix up their query parameters (a statement ran with another one's values, or failed with
/// UNKNOWN_QUERY_PARAMETER), so every statement of the process takes its turn here, callers waiting asynchronously
/// where they can. The handle is reference-counted so closing frees nothing in use.
/// </summary>
internal sealed partial class ChdbConnection : IDisposable
{
    private static readonly Lock EngineGate = new();

    /// <summary>One statement at a time in the whole process (see the class summary).</summary>
    private static readonly SemaphoreSlim Turn = new(1, 1);
    private static string? s_engineDirectory;
    private static int s_openConnections;

    private readonly ConnectionHandle _handle;

    private ChdbConnection(ConnectionHandle handle, string dataDirectory)
    {
        _handle = handle;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    /// <param name="settings">Query-level settings for this connection, as "name=value".</param>
    public static unsafe ChdbConnection Open(string libraryPath, string dataDirectory, IEnumerable<string>? settings = null)
    {
        ChdbLibrary.EnsureLoaded(libraryPath);
        var directory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(directory);
        string[] args = ["chdb", "--path=" + directory, .. (settings ?? []).Select(s => "--" + s)];

        lock (EngineGate)
        {
            if (s_openConnections > 0 && s_engineDirectory != directory)
                throw new InvalidOperationException(
                    $"the embedded ClickHouse engine of this process already runs on {s_engineDirectory}; chDB allows one data directory per process");
            var argv = stackalloc byte*[args.Length];
            try
            {
                for (var i = 0; i < args.Length; i++) argv[i] = (byte*)Marshal.StringToCoTaskMemUTF8(args[i]);
                var connection = ChdbNative.Connect(args.Length, argv);
                if (connection == IntPtr.Zero)
                    throw new InvalidOperationException($"chdb_connect failed for {directory} (is another process using it?)");
                s_engineDirectory = directory;
                s_openConnections++;
                return new ChdbConnection(new ConnectionHandle(connection), directory);
            }
            finally
            {
                for (var i = 0; i < args.Length; i++) Marshal.FreeCoTaskMem((IntPtr)argv[i]);
            }
        }
    }

    public ChdbResult Query(string sql, string format = "TabSeparated") => Query(sql, format, []);

    /// <summary>Runs a statement (waiting for its turn on this thread) and returns its output.</summary>
    /// <exception cref="ChdbException">The engine rejected the statement.</exception>
    public ChdbResult Query(string sql, string format, ReadOnlySpan<ChdbParameter> parameters)
    {
        Turn.Wait();
        try
        {
            return QueryInTurn(sql, format, parameters);
        }
        finally
        {
            Turn.Release();
        }
    }

    /// <summary>Runs a statement once its turn comes (waiting without holding a thread) and returns its output.</summary>
    /// <exception cref="ChdbException">The engine rejected the statement.</exception>
    public async ValueTask<ChdbResult> QueryAsync(string sql, string format, ChdbParameter[] parameters, CancellationToken cancellationToken)
    {
        await Turn.WaitAsync(cancellationToken);
        try
        {
            return QueryInTurn(sql, format, parameters);
        }
        finally
        {
            Turn.Release();
        }
    }

    /// <summary>
    /// Inserts rows given in <paramref name="format"/> (RowBinary, say) with <paramref name="insertInto"/>
    /// ("INSERT INTO db.table (columns)"). The rows never travel inside the query text: chDB ends data that follows
    /// FORMAT at the first empty line ("\n\n"), which any text with a blank line, or binary numbers such as
    /// 2570 = 0x0A0A, contain. They go in as a file instead, an anonymous one in memory that the engine of this
    /// process reads through /proc/self/fd (FROM INFILE): nothing in it is parsed as SQL and nothing is left on disk.
    /// </summary>
    /// <exception cref="ChdbException">The engine rejected the rows or the statement.</exception>
    public async ValueTask<ChdbResult> InsertAsync(string insertInto, string format, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!FormatName().IsMatch(format)) throw new ArgumentException($"'{format}' is not a ClickHouse format name", nameof(format));
        using var file = MemoryFile.Create("chdb-insert", data.Span);
        var sql = $"{insertInto} FROM INFILE '{file.Path}' COMPRESSION 'none' FORMAT {format}";
        await Turn.WaitAsync(cancellationToken);
        try
        {
            return QueryInTurn(sql, "TabSeparated", []);
        }
        finally
        {
            Turn.Release();
        }
    }

    private ChdbResult QueryInTurn(string sql, string format, ReadOnlySpan<ChdbParameter> parameters)
    {
        var byteCount = Encoding.UTF8.GetByteCount(sql);
        var rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = Encoding.UTF8.GetBytes(sql, rented);
            return QueryInTurn(rented.AsSpan(0, written), format, parameters);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private unsafe ChdbResult QueryInTurn(ReadOnlySpan<byte> sql, string format, ReadOnlySpan<ChdbParameter> parameters)
    {
        Span<byte> formatBytes = stackalloc byte[64];
        formatBytes = formatBytes[..Encoding.ASCII.GetBytes(format, formatBytes)];

        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            var connection = *(IntPtr*)_handle.DangerousGetHandle();
            IntPtr result;
            fixed (byte* sqlPtr = sql)
            fixed (byte* formatPtr = formatBytes)
            {
                result = parameters.IsEmpty
                    ? ChdbNative.Query(connection, sqlPtr, (nuint)sql.Length, formatPtr, (nuint)formatBytes.Length)
                    : QueryWithParameters(connection, sqlPtr, (nuint)sql.Length, formatPtr, (nuint)formatBytes.Length, parameters);
            }
            if (result == IntPtr.Zero) throw new ChdbException("chDB returned no result");
            var error = ChdbNative.ResultError(result);
            if (error is not null)
            {
                var message = Marshal.PtrToStringUTF8((IntPtr)error) ?? "unknown chDB error";
                ChdbNative.DestroyResult(result);
                throw new ChdbException(message.TrimEnd());
            }
            return new ChdbResult(result);
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    private static unsafe IntPtr QueryWithParameters(IntPtr connection, byte* sql, nuint sqlLength, byte* format, nuint formatLength,
        ReadOnlySpan<ChdbParameter> parameters)
    {
        var count = parameters.Length;
        var total = 0;
        foreach (var p in parameters) total += Encoding.UTF8.GetByteCount(p.Name) + Encoding.UTF8.GetByteCount(p.EscapedValue);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        var pointers = ArrayPool<IntPtr>.Shared.Rent(count * 2);
        var lengths = ArrayPool<nuint>.Shared.Rent(count * 2);
        try
        {
            fixed (byte* start = buffer)
            fixed (IntPtr* pointerArray = pointers)
            fixed (nuint* lengthArray = lengths)
            {
                var offset = 0;
                for (var i = 0; i < count; i++)
                {
                    offset += Encode(parameters[i].Name, start, buffer, offset, pointerArray, lengthArray, i);
                    offset += Encode(parameters[i].EscapedValue, start, buffer, offset, pointerArray, lengthArray, count + i);
                }
                return ChdbNative.QueryWithParameters(connection, sql, sqlLength, format, formatLength,
                    (byte**)pointerArray, lengthArray, (byte**)(pointerArray + count), lengthArray + count, (nuint)count);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<IntPtr>.Shared.Return(pointers);
            ArrayPool<nuint>.Shared.Return(lengths);
        }
    }

    private static unsafe int Encode(string text, byte* start, byte[] buffer, int offset, IntPtr* pointers, nuint* lengths, int slot)
    {
        var written = Encoding.UTF8.GetBytes(text, buffer.AsSpan(offset));
        pointers[slot] = (IntPtr)(start + offset);
        lengths[slot] = (nuint)written;
        return written;
    }

    public void Dispose()
    {
        if (_handle.IsClosed) return;
        _handle.Dispose();
        lock (EngineGate) s_openConnections--;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*\z")]
    private static partial Regex FormatName();

    private sealed class ConnectionHandle : SafeHandle
    {
        public ConnectionHandle(IntPtr connection) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(connection);

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            ChdbNative.CloseConnection(handle);
            return true;
        }
    }
}
