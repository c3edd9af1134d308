namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>
/// A successful query's output, owned by the engine until disposed: <see cref="Span"/> points into chDB's buffer,
/// so callers parse it in place and dispose the result right after.
/// </summary>
internal sealed unsafe class ChdbResult : IDisposable
{
    private IntPtr _result;

    internal ChdbResult(IntPtr result) => _result = result;

    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_result == IntPtr.Zero, this);
            var length = ChdbNative.ResultLength(_result);
            return length == 0 ? default : new ReadOnlySpan<byte>(ChdbNative.ResultBuffer(_result), checked((int)length));
        }
    }

    public ulong RowsRead => ChdbNative.ResultRowsRead(_result);
    public ulong BytesRead => ChdbNative.ResultBytesRead(_result);
    public ulong RowsWritten => ChdbNative.ResultRowsWritten(_result);
    public ulong BytesWritten => ChdbNative.ResultBytesWritten(_result);
    public TimeSpan Elapsed => TimeSpan.FromSeconds(ChdbNative.ResultElapsed(_result));

    public void Dispose()
    {
        var result = Interlocked.Exchange(ref _result, IntPtr.Zero);
        if (result != IntPtr.Zero) ChdbNative.DestroyResult(result);
    }
}
