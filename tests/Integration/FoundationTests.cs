using Microsoft.Extensions.Diagnostics.HealthChecks;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

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
    public async Task Redis_refuses_a_client_without_the_generated_password_and_serves_one_with_it()
    {
        var connection = (await platform.App.GetConnectionStringAsync("redis"))!;
        Assert.Contains(",password=", connection);
        var endpoint = connection.Split(',')[0];
        var password = connection.Split(",password=")[1].Split(',')[0];
        Assert.Equal(password, File.ReadAllText(Path.Combine(platform.DataDirectory, "redis.password")).Trim());

        async Task<string> SendAsync(string commands)
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", int.Parse(endpoint.Split(':')[1]));
            await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(commands));
            var buffer = new byte[256];
            var n = await client.GetStream().ReadAsync(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        }
        Assert.StartsWith("-NOAUTH", await SendAsync("GET anything\r\n"));
        Assert.StartsWith("-WRONGPASS", await SendAsync("AUTH guessed\r\n"));
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(connection);
        Assert.True((await redis.GetDatabase().PingAsync()) < TimeSpan.FromSeconds(5));
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
