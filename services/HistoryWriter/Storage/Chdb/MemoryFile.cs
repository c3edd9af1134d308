using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>
/// An anonymous file in memory (Linux memfd_create), holding bytes for the engine of this process to read by
/// <see cref="Path"/> (/proc/self/fd/N). It lives as long as this object: no name in any directory, nothing to clean
/// up after a crash.
/// </summary>
internal sealed partial class MemoryFile : IDisposable
{
    private const uint CloseOnExec = 1; // MFD_CLOEXEC
    private readonly SafeFileHandle _handle;

    private MemoryFile(SafeFileHandle handle, int descriptor)
    {
        _handle = handle;
        Path = $"/proc/self/fd/{descriptor}";
    }

    public string Path { get; }

    public static MemoryFile Create(string name, ReadOnlySpan<byte> content)
    {
        var descriptor = MemfdCreate(name, CloseOnExec);
        if (descriptor < 0)
            throw new IOException($"memfd_create failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        var handle = new SafeFileHandle((IntPtr)descriptor, ownsHandle: true);
        try
        {
            RandomAccess.Write(handle, content, 0);
            return new MemoryFile(handle, descriptor);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MemfdCreate(string name, uint flags);
}
