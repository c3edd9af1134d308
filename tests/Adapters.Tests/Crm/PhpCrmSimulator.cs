using System.Diagnostics;
using System.Text;
using CustomerService.TestInfrastructure;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>
/// The PHP CRM simulator (adapters/Crm/simulator/crm.php) under php's built-in server on a free loopback port;
/// it can be killed and started again on the same port, as a drill does to the real CRM.
/// </summary>
public sealed class PhpCrmSimulator : IAsyncDisposable
{
    private readonly int? _delayMs;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private PhpCrmSimulator(int? delayMs) => _delayMs = delayMs;

    public int Port { get; } = LocalServer.FreePort();
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<PhpCrmSimulator> StartAsync(int? delayMs = null)
    {
        var simulator = new PhpCrmSimulator(delayMs);
        await simulator.StartAgainAsync();
        return simulator;
    }

    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(Php.Executable)
        {
            WorkingDirectory = LocalServer.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-S", $"127.0.0.1:{Port}", "adapters/Crm/simulator/crm.php" }) info.ArgumentList.Add(arg);
        if (_delayMs is { } delay) info.Environment["CRM_SIM_DELAY_MS"] = delay.ToString();
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        Process process = _process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"php -S exited with {process.ExitCode}:\n{Output}");
            using var health = await http.GetAsync($"{BaseUrl}/health");
            return health.IsSuccessStatusCode;
        }, "the CRM simulator answers /health", TimeSpan.FromSeconds(15), context: () => Output,
            notYet: e => e is HttpRequestException or TaskCanceledException);
    }

    /// <summary>Kills the simulator at once, as a crash of the CRM would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
