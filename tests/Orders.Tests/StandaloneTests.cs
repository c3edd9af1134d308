using System.Diagnostics;
using System.Text;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>
/// The built Orders service started alone as a process, outside any AppHost, given only NATS, its RabbitMQ,
/// ticketdb and the order system's URL (environment variables, as a deployment would set them).
/// </summary>
[Collection(OrderSystemCollection.Name)]
public class StandaloneTests(OrderSystemFixture fixture)
{
    [Fact]
    public async Task The_service_starts_alone_and_serves_GetRecentOrders()
    {
        await using var nats = await NatsServer.StartAsync();
        string ticketDb = await fixture.CreateDatabaseAsync("ticketdb_alone");
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        // Built beside this test project, in the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string folder = Path.Combine(LocalServer.RepoRoot, "adapters", "Orders", "bin", configuration, "net10.0");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(folder, "Orders.dll"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["GRPC_PORT"] = grpcPort.ToString();
        info.Environment["ConnectionStrings__nats"] = nats.Url;
        info.Environment["ConnectionStrings__ticketdb"] = ticketDb;
        info.Environment["ConnectionStrings__rabbitmq"] = fixture.Rabbit.ConnectionString;
        info.Environment["Orders__BaseUrl"] = fixture.Simulator.BaseUrl;
        // Its own queues on the shared broker, so it does not take the other tests' work-order answers.
        info.Environment["Tickets__WorkOrdersQueue"] = "standalone.work-orders";
        info.Environment["Tickets__ResultsQueue"] = "standalone.work-order-results";
        var output = new StringBuilder();
        using var service = Process.Start(info)!;
        service.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        service.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            bool healthy = false;
            for (var until = DateTime.UtcNow.AddSeconds(90); !healthy && DateTime.UtcNow < until && !service.HasExited;)
            {
                try { healthy = (await http.GetAsync($"http://127.0.0.1:{httpPort}/health")).IsSuccessStatusCode; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                if (!healthy) await Task.Delay(250);
            }
            Assert.True(healthy, $"the service did not become healthy:\n{output}");

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var client = new Contracts.Orders.OrdersClient(channel);
            var answer = await client.GetRecentOrdersAsync(new GetRecentOrdersRequest { TenantId = "t1", CustomerId = "c-standalone" },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(15)));
            Assert.True(answer.Availability == Availability.Live, $"{answer.UnavailableReason}\n{output}");
            Assert.NotEmpty(answer.Orders);
            Assert.All(answer.Orders, o => Assert.StartsWith("SO", o.OrderId));
        }
        finally
        {
            if (!service.HasExited)
            {
                using (var term = Process.Start("kill", $"-TERM {service.Id}")) term!.WaitForExit();
                if (!service.WaitForExit(TimeSpan.FromSeconds(20))) service.Kill(entireProcessTree: true);
            }
        }
    }
}
