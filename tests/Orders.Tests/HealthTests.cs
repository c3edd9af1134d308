using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>
/// /health is readiness, /alive liveness. The MassTransit bus is part of readiness only, and a bus that cannot reach
/// RabbitMQ (booting, or down) degrades the service rather than failing it: GetRecentOrders still answers and
/// tickets wait in JetStream.
/// </summary>
[Collection(OrderSystemCollection.Name)]
public class HealthTests(OrderSystemFixture fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Without_RabbitMQ_the_service_is_alive_and_degraded_not_unhealthy()
    {
        await using var nats = await NatsServer.StartAsync();
        var settings = fixture.Settings();
        settings["ConnectionStrings:nats"] = nats.Url;
        settings["ConnectionStrings:ticketdb"] = await fixture.CreateDatabaseAsync("ticketdb_norabbit");
        settings["ConnectionStrings:rabbitmq"] = $"amqp://{fixture.Rabbit.User}:{fixture.Rabbit.Password}@127.0.0.1:{LocalServer.FreePort()}";
        await using var host = await OrdersHost.StartAsync(settings);

        // Started (StartAsync returned without waiting for the broker), and it stays so: sample for a while (a steady
        // state over time, not a wait).
        var bus = await BusEntryAsync(host);
        for (var until = DateTime.UtcNow.AddSeconds(3); DateTime.UtcNow < until; await Task.Delay(500))
        {
            var health = await Http.GetAsync($"http://127.0.0.1:{host.HttpPort}/health");
            Assert.Equal((System.Net.HttpStatusCode.OK, "Degraded"), (health.StatusCode, await health.Content.ReadAsStringAsync()));
            var alive = await Http.GetAsync($"http://127.0.0.1:{host.HttpPort}/alive");
            Assert.Equal((System.Net.HttpStatusCode.OK, "Healthy"), (alive.StatusCode, await alive.Content.ReadAsStringAsync()));
        }
        Assert.Equal(HealthStatus.Degraded, bus.Status);
        Assert.Contains("ready", bus.Tags);
        Assert.DoesNotContain("live", bus.Tags);

        // Meanwhile the order system's REST side answers.
        var orders = await host.Client.GetRecentOrdersAsync(new Contracts.GetRecentOrdersRequest { TenantId = "t1", CustomerId = "c-health" },
            deadline: DateTime.UtcNow.AddSeconds(15));
        Assert.Equal(Contracts.Availability.Live, orders.Availability);
    }

    [Fact]
    public async Task With_RabbitMQ_connected_the_service_is_healthy()
    {
        await Eventually.GetAsync(async () => await (await Http.GetAsync($"http://127.0.0.1:{fixture.Host.HttpPort}/health")).Content.ReadAsStringAsync(),
            body => body == "Healthy", "/health answers Healthy", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));
        Assert.Equal(HealthStatus.Healthy, (await BusEntryAsync(fixture.Host)).Status);
    }

    private static async Task<HealthReportEntry> BusEntryAsync(OrdersHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return Assert.Contains(Extensions.BusHealthCheckName, report.Entries);
    }
}
