using System.Diagnostics;
using System.Net;
using System.Text;
using CustomerService.TestInfrastructure;

namespace CustomerService.Integration;

/// <summary>
/// A service started while a dependency is down says what it waits for, keeps running (no crash loop) and becomes
/// healthy by itself once the dependency comes up. The built HistoryWriter, a real process, against a NATS that
/// starts late.
/// </summary>
public sealed class DependencyDrillTests
{
    [Fact]
    public async Task A_service_started_before_NATS_says_it_waits_and_recovers_without_restarting()
    {
        await using var nats = NatsServer.Reserve();
        var dataDir = Directory.CreateTempSubdirectory("cs-drill-").FullName;
        int port = LocalServer.FreePort();
        using var service = StartService("HistoryWriter", port, new()
        {
            ["ConnectionStrings__nats"] = nats.Url,
            ["History__DataDir"] = dataDir,
        }, out var output);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await EventuallyAsync(async () => (await http.GetAsync("/alive")).StatusCode == HttpStatusCode.OK, "the process serves /alive", service, output);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health")).StatusCode);
            await EventuallyAsync(() => Task.FromResult(Text(output).Contains($"waiting for NATS at {nats.Url}")), "the log names what it waits for", service, output);

            await Task.Delay(TimeSpan.FromSeconds(3)); // a while with NATS still down: the process must stay up
            Assert.False(service.HasExited, Text(output));

            await nats.StartAgainAsync();
            await EventuallyAsync(async () => (await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK, "healthy once NATS is up", service, output);
            Assert.False(service.HasExited);
        }
        finally
        {
            if (!service.HasExited) { service.Kill(entireProcessTree: true); await service.WaitForExitAsync(); }
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The service's built output, run as the orchestrator runs it (same configuration as this test run).</summary>
    private static Process StartService(string name, int port, Dictionary<string, string> environment, out StringBuilder output)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(LocalServer.RepoRoot, "services", name, "bin", configuration, "net10.0", $"{name}.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = log;
        return process;
    }

    private static string Text(StringBuilder log) { lock (log) return log.ToString(); }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, Process service, StringBuilder output)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            if (service.HasExited) Assert.Fail($"the service exited ({service.ExitCode}) while waiting for: {what}\n{Text(output)}");
            try { if (await condition()) return; }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        Assert.Fail($"not within 60 s: {what}\n{Text(output)}");
    }
}
