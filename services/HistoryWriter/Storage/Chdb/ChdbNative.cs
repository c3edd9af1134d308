using System.Runtime.InteropServices;

namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>
/// The part of chDB's C API (programs/local/chdb.h) that HistoryWriter uses. The library is resolved by
/// <see cref="ChdbLibrary"/>, which maps <see cref="LibraryName"/> to the libchdb.so it located.
/// </summary>
internal static unsafe partial class ChdbNative
{
    public const string LibraryName = "chdb";

    [LibraryImport(LibraryName, EntryPoint = "chdb_version")]
    public static partial byte* Version();

    [LibraryImport(LibraryName, EntryPoint = "chdb_set_signal_handlers_enabled")]
    public static partial void SetSignalHandlersEnabled(int enabled);

    /// <summary>Returns a pointer to the connection handle (chdb_connection*), or null.</summary>
    [LibraryImport(LibraryName, EntryPoint = "chdb_connect")]
    public static partial IntPtr Connect(int argc, byte** argv);

    [LibraryImport(LibraryName, EntryPoint = "chdb_close_conn")]
    public static partial void CloseConnection(IntPtr connection);

    [LibraryImport(LibraryName, EntryPoint = "chdb_query_n")]
    public static partial IntPtr Query(IntPtr connection, byte* query, nuint queryLength, byte* format, nuint formatLength);

    [LibraryImport(LibraryName, EntryPoint = "chdb_query_with_params_n")]
    public static partial IntPtr QueryWithParameters(IntPtr connection, byte* query, nuint queryLength, byte* format, nuint formatLength,
        byte** names, nuint* nameLengths, byte** values, nuint* valueLengths, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_buffer")]
    public static partial byte* ResultBuffer(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_length")]
    public static partial nuint ResultLength(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_error")]
    public static partial byte* ResultError(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_elapsed")]
    public static partial double ResultElapsed(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_rows_read")]
    public static partial ulong ResultRowsRead(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_bytes_read")]
    public static partial ulong ResultBytesRead(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_rows_written")]
    public static partial ulong ResultRowsWritten(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_result_bytes_written")]
    public static partial ulong ResultBytesWritten(IntPtr result);

    [LibraryImport(LibraryName, EntryPoint = "chdb_destroy_query_result")]
    public static partial void DestroyResult(IntPtr result);
}
