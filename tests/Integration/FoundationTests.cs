using Microsoft.Extensions.Diagnostics.HealthChecks;
using Aspire.Hosting.ApplicationModel;

namespace CustomerService.Integration;

[Collection(PlatformCollection.Name)]
public sealed class FoundationTests(PlatformFixture platform)
{
    [Fact]
    public void Every_service_and_server_of_the_system_diagram_is_a_resource()
    {
        var names = platform.Model.Resources.Select(r => r.Name).ToHashSet();
        string[] expected = ["nats", "redis", "postgres", "admin", "routing", "session", "bot", "historywriter", "gateway", "crm", "orders", "webhooks"];
        Assert.All(expected, name => Assert.Contains(name, names));
    }

    [Fact]
    public async Task Every_resource_reports_healthy()
    {
        foreach (var resource in platform.RunningResources)
        {
            var state = await platform.App.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name)
                .WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HealthStatus.Healthy, state.Snapshot.HealthStatus);
        }
    }

    [Fact]
    public async Task The_gateway_answers_health()
    {
        using var gateway = platform.Gateway();
        using var response = await gateway.GetAsync("/health");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}
