using System.Diagnostics;
using System.Text;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>The built CRM adapter started on its own, outside any AppHost, given only NATS, Redis and the CRM's URL.</summary>
public class CrmStandaloneTests
{
    [Fact]
    public async Task The_adapter_starts_alone_and_serves_GetProfile()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var crm = await PhpCrmSimulator.StartAsync();
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();

        // The Crm project is built beside this one, in the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string folder = Path.Combine(LocalServer.RepoRoot, "adapters", "Crm", "bin", configuration, "net10.0");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(folder, "Crm.dll"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["GRPC_PORT"] = grpcPort.ToString();
        info.Environment["ConnectionStrings__nats"] = nats.Url;
        info.Environment["ConnectionStrings__redis"] = redis.ConnectionString;
        info.Environment["Crm__BaseUrl"] = crm.BaseUrl;
        var output = new StringBuilder();
        using var adapter = Process.Start(info)!;
        adapter.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        adapter.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        adapter.BeginOutputReadLine();
        adapter.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            var until = DateTime.UtcNow.AddSeconds(60);
            bool healthy = false;
            while (!healthy && DateTime.UtcNow < until && !adapter.HasExited)
            {
                try { healthy = (await http.GetAsync($"http://127.0.0.1:{httpPort}/health")).IsSuccessStatusCode; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                if (!healthy) await Task.Delay(200);
            }
            Assert.True(healthy, $"the adapter did not become healthy:\n{output}");

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var client = new CustomerProfiles.CustomerProfilesClient(channel);
            // The first calls compile the process's code paths; on a busy machine they may fall back at first.
            CustomerProfile profile = null!;
            for (int attempt = 0; attempt < 10; attempt++)
            {
                profile = await client.GetProfileAsync(new GetProfileRequest { TenantId = "t1", CustomerId = "c-4242" },
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));
                if (profile.Availability == Availability.Live) break;
            }
            Assert.True(profile.Availability == Availability.Live, $"{profile.UnavailableReason}\n{output}");
            Assert.False(string.IsNullOrEmpty(profile.Name));
            Assert.Contains(profile.Tier, new[] { "vip", "gold", "standard" });
        }
        finally
        {
            if (!adapter.HasExited)
            {
                using (var term = Process.Start("kill", $"-TERM {adapter.Id}")) term.WaitForExit();
                if (!adapter.WaitForExit(TimeSpan.FromSeconds(15))) adapter.Kill(entireProcessTree: true);
            }
        }
    }
}
