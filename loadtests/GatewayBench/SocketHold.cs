using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.GatewayBench;

/// <summary>
/// The socket tier's capacity: opens many WebSockets through the real gateway to an echo service in its own process
/// (so that this process spends one descriptor per socket, the echo one, the gateway two), holds them with pings,
/// reports the gateway's memory per held socket, counts the refusals past its capacity (503 + Retry-After), and at
/// the end checks that a sample of the held sockets still carries a message.
/// With <c>--gateways N</c> the socket tier is N gateway processes sharing one port (Edge:SharePort, SO_REUSEPORT).
/// usage: GatewayBench sockets [--count 10000] [--rate 500] [--hold 30] [--capacity N] [--sample 200] [--gateways 1]
/// </summary>
public static class SocketHold
{
    private sealed record Options(int Count, double Rate, TimeSpan Hold, int? Capacity, int Sample, int Gateways);

    private static Options Parse(string[] args)
    {
        var o = new Options(10_000, 500, TimeSpan.FromSeconds(30), null, 200, 1);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--count" => o with { Count = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rate" => o with { Rate = double.Parse(v, CultureInfo.InvariantCulture) },
                "--hold" => o with { Hold = TimeSpan.FromSeconds(double.Parse(v, CultureInfo.InvariantCulture)) },
                "--capacity" => o with { Capacity = int.Parse(v, CultureInfo.InvariantCulture) },
                "--sample" => o with { Sample = int.Parse(v, CultureInfo.InvariantCulture) },
                "--gateways" => o with { Gateways = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]} (use --count --rate --hold --capacity --sample --gateways)"),
            };
        }
        return o;
    }

    public static async Task<int> RunAsync(string[] args, string token, string signingKey)
    {
        var options = Parse(args);
        await using var redis = await RedisServer.StartAsync();
        await using var echo = await EchoProcess.StartAsync();
        var extra = new Dictionary<string, string>();
        if (options.Capacity is { } capacity) extra["Limits__MaxSockets"] = capacity.ToString(CultureInfo.InvariantCulture);
        int? port = null;
        if (options.Gateways > 1)
        {
            extra["Edge__SharePort"] = "true";
            port = LocalServer.FreePort();
        }
        var gateways = new List<GatewayProcess>();
        for (int g = 0; g < options.Gateways; g++)
            gateways.Add(await GatewayProcess.StartAsync(echo.Address, redis.ConnectionString, signingKey, extra, port));
        await using var stopGateways = new Stopping(gateways);
        var gateway = new GatewayTier(gateways);
        var uri = new Uri($"ws://{gateways[0].Address.Authority}/ws/agent?access_token={token}");
        await Task.Delay(2000);
        var baseline = gateway.Memory;
        Console.WriteLine($"{gateways.Count} gateway process(es) on {gateways[0].Address} (pids {string.Join(",", gateways.Select(g => g.Pid))}), echo {echo.Address}; {Environment.ProcessorCount} cores, open-file limit {OpenFiles()}");
        Console.WriteLine($"baseline: gateway RSS {baseline.Rss / 1048576.0:F0} MB, anonymous memory {baseline.Heap / 1048576.0:F0} MB");

        var held = new List<ClientWebSocket>(options.Count);
        long refused503 = 0, otherErrors = 0;
        string? retryAfter = null;
        var opening = Stopwatch.StartNew();
        var cpuBefore = gateway.CpuTime;
        using var gate = new SemaphoreSlim(64);
        var tasks = new List<Task>();
        for (int i = 0; i < options.Count; i++)
        {
            var due = TimeSpan.FromSeconds(i / options.Rate) - opening.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            await gate.WaitAsync();
            tasks.Add(Task.Run(async () =>
            {
                var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true, KeepAliveInterval = TimeSpan.FromSeconds(15) } };
                try
                {
                    await socket.ConnectAsync(uri, CancellationToken.None);
                    lock (held) held.Add(socket);
                }
                catch (WebSocketException)
                {
                    if (socket.HttpStatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Interlocked.Increment(ref refused503);
                        retryAfter ??= socket.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true ? string.Join(",", values) : "(none)";
                    }
                    else Interlocked.Increment(ref otherErrors);
                    socket.Dispose();
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref otherErrors);
                    socket.Dispose();
                }
                finally { gate.Release(); }
            }));
            if ((i + 1) % 2000 == 0)
                Console.WriteLine($"  {i + 1,6} asked: held {held.Count}, 503 {refused503}, other errors {otherErrors}, gateway RSS {gateway.Memory.Rss / 1048576.0:F0} MB");
        }
        await Task.WhenAll(tasks);
        var openCpu = gateway.CpuTime - cpuBefore;
        Console.WriteLine($"opened in {opening.Elapsed.TotalSeconds:F1} s: held {held.Count}, refused with 503 {refused503} (Retry-After {retryAfter ?? "-"}), other errors {otherErrors}; gateway CPU {openCpu.TotalMilliseconds / Math.Max(1, held.Count):F2} ms per socket opened");

        var holdStart = Stopwatch.StartNew();
        var holdCpu = gateway.CpuTime;
        while (holdStart.Elapsed < options.Hold)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, Math.Max(0.1, (options.Hold - holdStart.Elapsed).TotalSeconds))));
            int open = held.Count(s => s.State == WebSocketState.Open);
            Console.WriteLine($"  held {holdStart.Elapsed.TotalSeconds,5:F0} s: open {open} of {held.Count}, gateway RSS {gateway.Memory.Rss / 1048576.0:F0} MB");
        }
        var holding = gateway.Memory;
        var idleCpu = (gateway.CpuTime - holdCpu).TotalSeconds / holdStart.Elapsed.TotalSeconds * 100;

        // A message through a sample of the held sockets, spread over all of them.
        int delivered = 0, step = Math.Max(1, held.Count / Math.Max(1, options.Sample));
        var buffer = new byte[256];
        for (int i = 0; i < held.Count; i += step)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var text = $"still there {i}";
                await held[i].SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
                var r = await held[i].ReceiveAsync(buffer, timeout.Token);
                if (Encoding.UTF8.GetString(buffer, 0, r.Count) == text) delivered++;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
        int sampled = (held.Count + step - 1) / step;
        int dropped = held.Count(s => s.State != WebSocketState.Open);
        double perSocketKb = held.Count == 0 ? 0 : (holding.Rss - baseline.Rss) / 1024.0 / held.Count;
        Console.WriteLine($"held {held.Count} sockets for {options.Hold.TotalSeconds:F0} s: dropped {dropped}; a message through {delivered} of {sampled} sampled sockets");
        if (gateways.Count > 1)
            Console.WriteLine($"per gateway process: RSS MB {string.Join(", ", gateways.Select(g => (g.Memory.Rss / 1048576.0).ToString("F0", CultureInfo.InvariantCulture)))}; sockets held (open descriptors / 2) {string.Join(", ", gateways.Select(g => g.OpenDescriptors / 2))}");
        Console.WriteLine($"gateway memory holding them: RSS {holding.Rss / 1048576.0:F0} MB (anonymous {holding.Heap / 1048576.0:F0} MB), {perSocketKb:F1} KB RSS per held socket; CPU while idle-holding {idleCpu:F1}% of a core");
        Console.WriteLine($"echo process RSS {echo.Rss / 1048576.0:F0} MB; this process RSS {Environment.WorkingSet / 1048576.0:F0} MB; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var socket in held) socket.Abort();
        return dropped == 0 && delivered == sampled && otherErrors == 0 ? 0 : 1;
    }

    private static string OpenFiles() =>
        File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3] ?? "?";

    /// <summary>Runs the echo WebSocket service in this process (the child side of <see cref="EchoProcess"/>).</summary>
    public static async Task RunEchoServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.MaxConcurrentUpgradedConnections = null;
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/health", () => "ok");
        app.Run(async http =>
        {
            if (!http.WebSockets.IsWebSocketRequest) { http.Response.StatusCode = 400; return; }
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            while (socket.State == WebSocketState.Open)
            {
                ValueWebSocketReceiveResult r;
                try { r = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None); }
                catch (WebSocketException) { return; }
                if (r.MessageType == WebSocketMessageType.Close) { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); return; }
                await socket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
            }
        });
        await app.StartAsync();
        var address = app.Urls.Single();
        Console.WriteLine($"listening {address}");
        await app.WaitForShutdownAsync(CancellationToken.None);
    }
}

/// <summary>The gateway processes of the tier, summed.</summary>
internal sealed class GatewayTier(IReadOnlyList<GatewayProcess> gateways)
{
    public (long Rss, long Heap) Memory => gateways.Select(g => g.Memory).Aggregate((0L, 0L), (a, m) => (a.Item1 + m.Rss, a.Item2 + m.Heap));
    public TimeSpan CpuTime => TimeSpan.FromTicks(gateways.Sum(g => g.CpuTime.Ticks));
}

internal sealed class Stopping(IEnumerable<IAsyncDisposable> processes) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var p in processes) await p.DisposeAsync();
    }
}

/// <summary>This program started again as the echo service, in its own process: its sockets do not count against ours.</summary>
public sealed class EchoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private EchoProcess(Process process, Uri address) => (_process, Address) = (process, address);
    public Uri Address { get; }

    public long Rss
    {
        get { _process.Refresh(); return _process.WorkingSet64; }
    }

    public static async Task<EchoProcess> StartAsync()
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(EchoProcess).Assembly.Location);
        start.ArgumentList.Add("echo-server");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the echo service");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
            throw new InvalidOperationException($"the echo service said: {line} {await process.StandardError.ReadToEndAsync()}");
        return new EchoProcess(process, new Uri(line["listening ".Length..]));
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
