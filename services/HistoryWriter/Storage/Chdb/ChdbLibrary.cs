using System.Reflection;
using System.Runtime.InteropServices;

namespace CustomerService.HistoryWriter.Storage.Chdb;

/// <summary>
/// Finds and loads libchdb.so once per process. The npm package @chdb/lib-linux-x64-gnu ships it; eng/install-chdb.sh
/// installs it into eng/chdb/node_modules, where a run from the checkout finds it by walking up from the binaries.
/// </summary>
internal static class ChdbLibrary
{
    public const string CheckoutRelativePath = "eng/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so";

    private static readonly Lock Gate = new();
    private static string? s_loadedPath;
    private static IntPtr s_handle;

    /// <summary>The configured path when there is one, else the checkout's eng/chdb install above the binaries.</summary>
    public static string Locate(string? configuredPath)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            var full = Path.GetFullPath(configuredPath);
            return File.Exists(full) ? full : throw Missing($"History:ChdbLibrary points at {full}, which does not exist");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, CheckoutRelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        throw Missing($"libchdb.so was not found in {CheckoutRelativePath} above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Loads the library and turns chDB's own signal handlers off. This must happen before the first chdb_connect:
    /// with ClickHouse's handlers installed, the first NullReferenceException anywhere in the process hangs it,
    /// because .NET turns SIGSEGV into that exception and ClickHouse's handler takes the signal first.
    /// </summary>
    public static void EnsureLoaded(string path)
    {
        lock (Gate)
        {
            if (s_loadedPath is not null)
            {
                if (s_loadedPath != path)
                    throw new InvalidOperationException($"libchdb.so is already loaded from {s_loadedPath}; one copy per process");
                return;
            }
            s_handle = NativeLibrary.Load(path);
            NativeLibrary.SetDllImportResolver(typeof(ChdbLibrary).Assembly, Resolve);
            s_loadedPath = path;
            ChdbNative.SetSignalHandlersEnabled(0);
        }
    }

    public static unsafe string Version => Marshal.PtrToStringUTF8((IntPtr)ChdbNative.Version()) ?? "";

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == ChdbNative.LibraryName ? s_handle : IntPtr.Zero;

    private static FileNotFoundException Missing(string what) =>
        new($"{what}. The embedded ClickHouse engine is not installed: run eng/install-chdb.sh " +
            "(or set History:ChdbLibrary to a libchdb.so, or ConnectionStrings:clickhouse to use a ClickHouse server).");
}
