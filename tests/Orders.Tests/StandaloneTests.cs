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
        int grpcPort = LocalServer.FreePort();
        await using var service = ServiceProcess.Start("adapters/Orders", new Dictionary<string, string>
        {
            ["GRPC_PORT"] = grpcPort.ToString(),
            ["ConnectionStrings__nats"] = nats.Url,
            ["ConnectionStrings__ticketdb"] = ticketDb,
            ["ConnectionStrings__rabbitmq"] = fixture.Rabbit.ConnectionString,
            ["Orders__BaseUrl"] = fixture.Simulator.BaseUrl,
            // Its own queues on the shared broker, so it does not take the other tests' work-order answers.
            ["Tickets__WorkOrdersQueue"] = "standalone.work-orders",
            ["Tickets__ResultsQueue"] = "standalone.work-order-results",
        });
        await service.WaitHealthyAsync(TimeSpan.FromSeconds(90));

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new Contracts.Orders.OrdersClient(channel);
        var answer = await client.GetRecentOrdersAsync(new GetRecentOrdersRequest { TenantId = "t1", CustomerId = "c-standalone" },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(15)));
        Assert.True(answer.Availability == Availability.Live, $"{answer.UnavailableReason}\n{service.Output}");
        Assert.NotEmpty(answer.Orders);
        Assert.All(answer.Orders, o => Assert.StartsWith("SO", o.OrderId));
    }
}
