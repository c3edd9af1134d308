using System.Diagnostics;
using System.Reflection;
using CustomerService.TestInfrastructure;

namespace CustomerService.GatewayBench;

/// <summary>
/// The real gateway (services/Gateway, built in this bench's configuration) as its own process, configured the
/// way the AppHost configures it, with every route pointing at the echo service.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, Uri address) => (_process, Address) = (process, address);

    public Uri Address { get; }

    /// <summary>CPU the gateway process has used so far: per request it is robust to a busy machine, latency is not.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public int Pid => _process.Id;

    /// <summary>The gateway's resident memory and the anonymous part of it (heaps and buffers, not mapped code), from /proc.</summary>
    public (long Rss, long Heap) Memory
    {
        get
        {
            _process.Refresh();
            long heap = 0;
            try
            {
                // VmRSS split: RssAnon is the heap-like part (GC heap, native buffers); RssFile the mapped code.
                foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
                    if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                        heap = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
            catch (IOException) { }
            return (_process.WorkingSet64, heap);
        }
    }

    /// <summary>Descriptors the process holds now (/proc/PID/fd): two per proxied socket, and a few hundred besides.</summary>
    public int OpenDescriptors
    {
        get
        {
            try { return Directory.GetFiles($"/proc/{_process.Id}/fd").Length; }
            catch (IOException) { return -1; }
        }
    }

    public static async Task<GatewayProcess> StartAsync(Uri downstream, string redis, string signingKey, IReadOnlyDictionary<string, string>? settings = null, int? port = null)
    {
        var configuration = typeof(GatewayProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var dll = Path.Combine(LocalServer.RepoRoot, "services", "Gateway", "bin", configuration, "net10.0", "Gateway.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build the gateway first ({configuration}): {dll}");

        port ??= LocalServer.FreePort();
        // Its folder is its content root: appsettings.json (routes, policies, limits) is read from there.
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var environment = start.Environment;
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["Auth__SigningKey"] = signingKey;
        // The gateway signs the identity it passes on (the echo service does not check it; the cost is in the figures).
        environment["Auth__InternalKey"] = TestIdentity.KeyBase64;
        environment["ConnectionStrings__redis"] = redis;
        foreach (var cluster in new[] { "session", "admin", "historywriter" })
            environment[$"ReverseProxy__Clusters__{cluster}__Destinations__d1__Address"] = downstream.ToString();
        // The limiters run on every request, as in production, with limits this load never reaches.
        environment["RateLimits__PerIp__TokenLimit"] = "100000000";
        environment["RateLimits__PerIp__TokensPerPeriod"] = "100000000";
        environment["RateLimits__PerSubject__TokenLimit"] = "100000000";
        environment["RateLimits__PerSubject__TokensPerPeriod"] = "100000000";
        // Its sockets all come from one address and one tenant: the caps on those stay above the process's capacity.
        environment["Limits__MaxSocketsPerIp"] = "1000000";
        environment["Limits__MaxSocketsPerTenant"] = "1000000";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>()) environment[name] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the gateway");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"gateway: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}"));
        await gateway.WaitUntilHealthyAsync();
        return gateway;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the gateway exited with {_process.ExitCode}");
            try
            {
                if ((await http.GetAsync(new Uri(Address, "/health"))).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("the gateway did not become healthy within 30 s");
    }

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
