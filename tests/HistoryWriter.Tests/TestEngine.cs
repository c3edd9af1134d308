using CustomerService.HistoryWriter.Storage;
using CustomerService.HistoryWriter.Storage.Chdb;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// The embedded ClickHouse engine of the test process. chDB runs one engine per process on one data directory, so
/// every test (and every in-process HistoryWriter host) shares this one and isolates itself by database name. One
/// connection stays open for the whole run: closing the last one would shut the engine down.
/// </summary>
internal static class TestEngine
{
    public static string Library { get; } = ChdbLibrary.Locate(null);

    public static string DataDirectory { get; } = Directory.CreateTempSubdirectory("cs-history-test-").FullName;

    private static readonly Lazy<ChdbConnection> Anchor = new(() =>
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return ChdbConnection.Open(Library, DataDirectory);
    });

    /// <summary>A connection of the shared engine (opened on first use).</summary>
    public static ChdbConnection Connection => Anchor.Value;

    /// <summary>A fresh database name, so that tests never see each other's rows.</summary>
    public static string NewDatabase(string purpose) => $"{purpose}_{Guid.NewGuid():N}"[..Math.Min(purpose.Length + 13, 60)];

    /// <summary>A history database of its own on the shared engine, reached the embedded way.</summary>
    public static IHistoryDatabase OpenEmbedded()
    {
        _ = Connection;
        return new EmbeddedHistoryDatabase(ChdbConnection.Open(Library, DataDirectory));
    }
}
