using System.Net;
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
        try
        {
            await using var service = ServiceProcess.Start("services/HistoryWriter", new Dictionary<string, string>
            {
                ["ConnectionStrings__nats"] = nats.Url,
                ["History__DataDir"] = dataDir,
            });
            await service.EventuallyAsync(async http => (await http.GetAsync("/alive")).StatusCode == HttpStatusCode.OK, "the process serves /alive");
            await service.EventuallyAsync(async http => (await http.GetAsync("/health")).StatusCode == HttpStatusCode.ServiceUnavailable
                && service.Output.Contains($"waiting for NATS at {nats.Url}"), "unhealthy, and the log names what it waits for");

            // Absence: a while with NATS still down, and the process must not exit; nothing would signal that it will not.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(service.HasExited, service.Output);

            await nats.StartAgainAsync();
            await service.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            Assert.False(service.HasExited);
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }
}
