using System.Diagnostics;
using System.Text;
using CustomerService.TestInfrastructure;

namespace CustomerService.Orders.Tests;

/// <summary>
/// adapters/Orders/simulator/OrderSystem.java, the Java stand-in for the order system, on a free port. Compiled
/// once per test run (javac) so that starts and restarts take a second instead of a compilation each.
/// </summary>
public sealed class OrderSystemSimulator : IAsyncDisposable
{
    private static readonly Lazy<Task<string>> Compiled = new(CompileAsync);
    private readonly int _amqpPort;
    private readonly string _user, _password;
    private readonly bool _xml;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private OrderSystemSimulator(int amqpPort, string user, string password, bool xml)
    {
        _amqpPort = amqpPort; _user = user; _password = password; _xml = xml;
    }

    public int Port { get; } = LocalServer.FreePort();
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts the simulator; with <paramref name="waitForAmqp"/>, ready only once it consumes work orders.</summary>
    public static async Task<OrderSystemSimulator> StartAsync(int amqpPort, string user, string password, bool xml = false, bool waitForAmqp = true)
    {
        var simulator = new OrderSystemSimulator(amqpPort, user, password, xml);
        await simulator.StartAgainAsync(waitForAmqp);
        return simulator;
    }

    public async Task StartAgainAsync(bool waitForAmqp = true)
    {
        var classes = await Compiled.Value;
        var info = new ProcessStartInfo("java") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-cp", classes, "OrderSystem", Port.ToString(), _amqpPort.ToString() }) info.ArgumentList.Add(arg);
        if (_xml) info.ArgumentList.Add("--xml");
        info.Environment["ORDER_SIM_AMQP_USER"] = _user;
        info.Environment["ORDER_SIM_AMQP_PASSWORD"] = _password;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        Process process = _process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"the order-system simulator exited with {process.ExitCode}:\n{Output}");
                var health = await http.GetStringAsync($"{BaseUrl}/health");
                return !waitForAmqp || health.Contains("\"amqp\":\"connected\"", StringComparison.Ordinal);
            }, "the order-system simulator ready" + (waitForAmqp ? ", its AMQP connected" : ""), TimeSpan.FromSeconds(90),
                TimeSpan.FromMilliseconds(200), context: () => Output, notYet: e => e is HttpRequestException or TaskCanceledException);
        }
        catch (TimeoutException)
        {
            Kill();
            throw;
        }
    }

    /// <summary>Kills it at once, as a crash would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Removes the compiled classes once no simulator of this test run needs them.</summary>
    public static async Task DeleteCompiledAsync()
    {
        if (!Compiled.IsValueCreated) return;
        try { Directory.Delete(await Compiled.Value, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { }
    }

    private static async Task<string> CompileAsync()
    {
        var folder = Directory.CreateTempSubdirectory("cs-order-sim-").FullName;
        var info = new ProcessStartInfo("javac") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-d", folder, Path.Combine(LocalServer.RepoRoot, "adapters", "Orders", "simulator", "OrderSystem.java") })
            info.ArgumentList.Add(arg);
        using var javac = Process.Start(info)!;
        var errors = javac.StandardError.ReadToEndAsync();
        var output = javac.StandardOutput.ReadToEndAsync();
        await javac.WaitForExitAsync();
        if (javac.ExitCode != 0) throw new InvalidOperationException($"javac failed:\n{await output}{await errors}");
        return folder;
    }
}
