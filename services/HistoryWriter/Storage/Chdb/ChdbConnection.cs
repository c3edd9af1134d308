using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>A query parameter for a {name:Type} placeholder, its value already in ClickHouse's escaped text form.</summary>
internal readonly record struct ChdbParameter(string Name, string EscapedValue);

/// <summary>
/// A connection to the embedded ClickHouse engine. chDB runs one engine per process on one data directory; every
/// connection of the process must name the same one. Queries may run from several threads at once (the engine
/// serialises what it must); the handle is reference-counted so closing waits for no query and frees nothing in use.
/// </summary>
internal sealed unsafe class ChdbConnection : IDisposable
{
    private static readonly Lock EngineGate = new();
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
    public static ChdbConnection Open(string libraryPath, string dataDirectory, IEnumerable<string>? settings = null)
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

    public ChdbResult Query(string sql, string format, ReadOnlySpan<ChdbParameter> parameters)
    {
        var byteCount = Encoding.UTF8.GetByteCount(sql);
        var rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = Encoding.UTF8.GetBytes(sql, rented);
            return Query(rented.AsSpan(0, written), format, parameters);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Runs UTF-8 SQL (which may carry inline data after FORMAT, binary included) and returns its output.</summary>
    /// <exception cref="ChdbException">The engine rejected the query.</exception>
    public ChdbResult Query(ReadOnlySpan<byte> sql, string format, ReadOnlySpan<ChdbParameter> parameters)
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

    private static IntPtr QueryWithParameters(IntPtr connection, byte* sql, nuint sqlLength, byte* format, nuint formatLength,
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

    private static int Encode(string text, byte* start, byte[] buffer, int offset, IntPtr* pointers, nuint* lengths, int slot)
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
