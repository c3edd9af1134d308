using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// A server process started through one of the project's eng/ scripts, on a free loopback port, with a fresh
/// temporary data directory that is deleted on dispose.
/// </summary>
public abstract class LocalServer : IAsyncDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    protected LocalServer()
    {
        DataDirectory = Directory.CreateTempSubdirectory("cs-test-").FullName;
        // Servers that drop root (PostgreSQL runs as postgres) must be able to reach their folder inside it.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(DataDirectory, (UnixFileMode)0b111_101_101);
    }

    public string DataDirectory { get; }

    /// <summary>What the server printed so far: for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// A loopback port nothing holds, below the kernel's ephemeral range, and held for this process alone while it runs
    /// (see <see cref="FreePorts"/>): a server started on it later, or again after a stop, still finds it free.
    /// </summary>
    public static int FreePort() => FreePorts.Next();

    protected async Task StartScriptAsync(string script, IEnumerable<string> args, Func<CancellationToken, Task<bool>> ready,
        IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine("eng", script));
        foreach (var a in args) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {script}");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{script} exited with {_process.ExitCode}:\n{Output}");
            try { if (await ready(cts.Token)) return; }
            catch (Exception) when (!cts.IsCancellationRequested) { }
            catch (OperationCanceledException) { break; }
            try { await Task.Delay(100, cts.Token); } catch (OperationCanceledException) { break; }
        }
        Kill();
        throw new TimeoutException($"{script} did not become ready:\n{Output}");
    }

    /// <summary>Stops the server (SIGTERM, as the orchestrator does) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        Signal(_process.Id, "TERM");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
    }

    /// <summary>Freezes the server (SIGSTOP): its connections stay open and nothing is answered, as on a stalled machine.</summary>
    public void Pause() => Signal(RunningProcess.Id, "STOP");

    /// <summary>Lets a paused server go on (SIGCONT).</summary>
    public void Resume() => Signal(RunningProcess.Id, "CONT");

    private Process RunningProcess => _process is { HasExited: false } p ? p : throw new InvalidOperationException("the server is not running");

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }

    protected static async Task<bool> TcpAnswersAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        return true;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill?.WaitForExit();
    }

    private static string FindRepoRoot()
    {
        if (Environment.GetEnvironmentVariable("CS_REPO_ROOT") is { Length: > 0 } root) return root;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CustomerService.sln"))) return dir.FullName;
        throw new InvalidOperationException("CustomerService.sln not found above " + AppContext.BaseDirectory);
    }
}
