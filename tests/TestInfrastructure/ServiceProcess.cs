using System.Diagnostics;
using System.Text;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// A built service of this repository started alone as a process, as a deployment would run it: its output folder
/// in the configuration of the running tests, configured only by environment variables (the internal key
/// <see cref="TestIdentity.Key"/> unless they say otherwise), its output kept for failure messages. Killed on dispose.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }
    public bool HasExited => _process.HasExited;
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <param name="folder">The project folder under the repository root, e.g. <c>adapters/Webhooks</c>.</param>
    public static ServiceProcess Start(string folder, IDictionary<string, string> environment)
    {
        var name = Path.GetFileName(folder);
        // Tests run from tests/X/bin/{configuration}/net10.0: the service is built in the same configuration.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var output = Path.Combine(LocalServer.RepoRoot, folder, "bin", configuration, "net10.0");
        var dll = Path.Combine(output, $"{name}.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is not built");
        int port = LocalServer.FreePort();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        info.Environment["Auth__InternalKey"] = TestIdentity.KeyBase64;
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var service = new ServiceProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {dll}"), port);
        service._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (service._output) service._output.AppendLine(e.Data); };
        service._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (service._output) service._output.AppendLine(e.Data); };
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Polls until the condition holds; fails with the service's output when it exits or the time is up.</summary>
    public async Task EventuallyAsync(Func<HttpClient, Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.UntilAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"the service exited ({_process.ExitCode}) while waiting for: {what}\n{Output}");
            try { return await condition(http); }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, what, timeout ?? TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250), () => Output);
    }

    public Task WaitHealthyAsync(TimeSpan? timeout = null) =>
        EventuallyAsync(async http => (await http.GetAsync("/health")).IsSuccessStatusCode, "/health answers 200", timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
