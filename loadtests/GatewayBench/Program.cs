using System.Security.Cryptography;
using CustomerService.Contracts;
using CustomerService.GatewayBench;
using CustomerService.TestInfrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using HdrHistogram;
using Spectre.Console;

// The gateway's own cost (JWT validation, blocklist, rate limiters, policies, identity headers, YARP proxying):
// the same request straight to a service and through the gateway, in alternating rounds of one run.
if (args is ["echo-server", ..]) { await SocketHold.RunEchoServerAsync(); return 0; }
var sockets = args is ["sockets", ..];
var options = sockets ? BenchOptions.Parse([]) : BenchOptions.Parse(args);
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 120;
var key = RandomNumberGenerator.GetBytes(32);
var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
{
    Issuer = PlatformClaims.Issuer,
    Audience = PlatformClaims.Audience,
    Expires = DateTime.UtcNow.AddHours(1),
    Claims = new Dictionary<string, object>
    {
        [PlatformClaims.Subject] = "bench-agent",
        [PlatformClaims.Tenant] = "demo",
        [PlatformClaims.Role] = Roles.Agent,
        [PlatformClaims.Name] = "Bench Agent",
    },
    SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
});

if (sockets) return await SocketHold.RunAsync(args[1..], token, Convert.ToBase64String(key));

await using var redis = await RedisServer.StartAsync();
await using var echo = await EchoService.StartAsync();
await using var gateway = await GatewayProcess.StartAsync(echo.Address, redis.ConnectionString, Convert.ToBase64String(key));

const string path = "/api/history/ping";
var direct = new Uri(echo.Address, path);
var proxied = new Uri(gateway.Address, path);
AnsiConsole.MarkupLine($"[grey]GET {path}: direct {echo.Address} vs gateway {gateway.Address}; {Environment.ProcessorCount} cores[/]");

var results = new List<(int Concurrency, Measurement Direct, Measurement Gateway, double GatewayCpuMicroseconds)>();
foreach (var concurrency in options.Concurrency)
{
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false });
    await ClosedLoop.RunAsync(client, direct, token, concurrency, options.Warmup);
    await ClosedLoop.RunAsync(client, proxied, token, concurrency, options.Warmup);

    var (directTotal, gatewayTotal, gatewayCpu) = (new Measurement(), new Measurement(), TimeSpan.Zero);
    for (var round = 0; round < options.Rounds; round++)
    {
        // Alternating rounds spread any drift of the machine (GC, other processes) over both targets alike.
        directTotal.Add(await ClosedLoop.RunAsync(client, direct, token, concurrency, options.RoundLength));
        var cpuBefore = gateway.CpuTime;
        gatewayTotal.Add(await ClosedLoop.RunAsync(client, proxied, token, concurrency, options.RoundLength));
        gatewayCpu += gateway.CpuTime - cpuBefore;
    }
    results.Add((concurrency, directTotal, gatewayTotal, gatewayCpu.TotalMicroseconds / gatewayTotal.Latency.TotalCount));
}

var table = new Table().AddColumns("conc.", "path", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
foreach (var (concurrency, d, g, _) in results)
{
    foreach (var (name, m) in new[] { ("direct", d), ("gateway", g) })
        table.AddRow(concurrency.ToString(), name, m.Latency.TotalCount.ToString(), (m.Latency.TotalCount / m.Elapsed.TotalSeconds).ToString("F0"),
            m.Percentile(50).ToString("F3"), m.Percentile(90).ToString("F3"), m.Percentile(99).ToString("F3"), m.Percentile(99.9).ToString("F3"),
            (m.Latency.GetMaxValue() / 1000.0).ToString("F3"), m.Errors.ToString());
    table.AddRow(concurrency.ToString(), "[bold]added[/]", "", "",
        $"[bold]{g.Percentile(50) - d.Percentile(50):F3}[/]", $"{g.Percentile(90) - d.Percentile(90):F3}",
        $"[bold]{g.Percentile(99) - d.Percentile(99):F3}[/]", $"{g.Percentile(99.9) - d.Percentile(99.9):F3}", "", "");
}
AnsiConsole.Write(table);
foreach (var (concurrency, _, _, cpu) in results)
    AnsiConsole.MarkupLine($"concurrency {concurrency}: the gateway process used [bold]{cpu:F0} µs of CPU per request[/]");
if (File.Exists("/proc/loadavg"))
    AnsiConsole.MarkupLine($"[grey]load average (1 min) at the end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}[/]");

const double targetMs = 5;
var worst = results.Max(r => r.Gateway.Percentile(99) - r.Direct.Percentile(99));
var errors = results.Sum(r => r.Direct.Errors + r.Gateway.Errors);
AnsiConsole.MarkupLine(worst < targetMs
    ? $"[green]p99 added by the gateway: {worst:F3} ms at worst, under the {targetMs} ms target[/]"
    : $"[yellow]p99 added by the gateway: {worst:F3} ms at worst, over the {targetMs} ms target[/]");
if (errors > 0) AnsiConsole.MarkupLine($"[red]{errors} requests failed[/]");
// A missed target is a finding to report, not a failed run: only failed requests fail it.
return errors == 0 ? 0 : 1;
