using System.Net;
using System.Net.WebSockets;
using CustomerService.Contracts;
using CustomerService.Gateway.Edge;
using CustomerService.Gateway.Limits;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static CustomerService.Gateway.Tests.AgentSockets;

namespace CustomerService.Gateway.Tests;

/// <summary>Past its socket capacity the gateway refuses new sockets with 503 and Retry-After and keeps every socket it holds.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SocketCapacityTests(GatewayFixture fixture)
{
    private async Task<ClientWebSocket> ConnectAsync(GatewayHost gateway, int agent)
    {
        var socket = AgentSockets.New();
        await socket.OpenAsync(gateway, fixture.Tokens.Mint(subject: $"agent-{agent}", role: Roles.Agent));
        return socket;
    }

    private static async Task<HealthStatus> SocketsHealthAsync(GatewayHost gateway)
    {
        var report = await gateway.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "sockets");
        return report.Entries["sockets"].Status;
    }

    [Fact]
    public async Task At_capacity_a_new_socket_gets_503_with_Retry_After_and_the_held_ones_keep_going()
    {
        await using var gateway = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["Limits:MaxSockets"] = "3",
            ["Limits:SocketRetryAfter"] = "00:00:07",
        });
        var held = new List<ClientWebSocket>();
        for (int i = 0; i < 3; i++) held.Add(await ConnectAsync(gateway, i));

        var refused = AgentSockets.New();
        await Assert.ThrowsAsync<WebSocketException>(() => refused.OpenAsync(gateway, fixture.Tokens.Mint(subject: "agent-late", role: Roles.Agent)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);
        Assert.Equal("7", Assert.Single(refused.HttpResponseHeaders!["Retry-After"]));

        // Plain requests are not sockets: they still pass, and the health report says why sockets are refused.
        using var client = gateway.ClientFrom();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HealthStatus.Degraded, await SocketsHealthAsync(gateway));

        for (int i = 0; i < 3; i++) await AssertEchoesAsync(held[i], $"still here {i}");

        // A place freed is a place again.
        await held[0].CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        held[0].Dispose();
        var again = await Eventually.GetAsync(() => ConnectAsync(gateway, 9), _ => true, "a socket let in on the freed place",
            TimeSpan.FromSeconds(5), notYet: e => e is WebSocketException);
        await AssertEchoesAsync(again, "a freed place");
        Assert.Equal(HealthStatus.Degraded, await SocketsHealthAsync(gateway));   // full again: 3 of 3

        await held[1].CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Eventually.GetAsync(() => SocketsHealthAsync(gateway), status => status == HealthStatus.Healthy,
            "below capacity the gateway is healthy again", TimeSpan.FromSeconds(5));
        foreach (var socket in held.Append(again)) socket.Dispose();
    }

    [Fact]
    public async Task A_refused_socket_costs_no_token_check()
    {
        await using var gateway = fixture.StartGateway(new Dictionary<string, string?> { ["Limits:MaxSockets"] = "1" });
        using var first = await ConnectAsync(gateway, 1);
        // Even a forged token gets the capacity answer, not 401: the refusal comes before authentication.
        using var refused = AgentSockets.New();
        await Assert.ThrowsAsync<WebSocketException>(() => refused.OpenAsync(gateway, "forged.token.value"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);
    }

    [Fact]
    public async Task Gateway_processes_share_one_port_and_the_kernel_spreads_sockets_over_them()
    {
        var port = LocalServer.FreePort();
        var shared = new Dictionary<string, string?> { [SharedPort.Setting] = "true" };
        await using var first = fixture.StartGateway(shared, port: port);
        await using var second = fixture.StartGateway(shared, port: port);
        // Without the setting a third cannot bind the port at all: the setting is what makes the tier.
        Assert.ThrowsAny<Exception>(() => fixture.StartGateway(port: port).Dispose());

        var sockets = new List<ClientWebSocket>();
        for (int i = 0; i < 40; i++) sockets.Add(await ConnectAsync(first, i));   // first's address: the shared port
        long a = first.Services.GetRequiredService<SocketCapacity>().Held, b = second.Services.GetRequiredService<SocketCapacity>().Held;
        Assert.Equal(40, a + b);
        Assert.True(a > 0 && b > 0, $"both processes take sockets ({a} and {b})");
        foreach (var socket in sockets) await AssertEchoesAsync(socket, "through either");
        foreach (var socket in sockets) socket.Dispose();
    }

    [Theory]
    [InlineData(20_000, 9_500)]
    [InlineData(1_024, 100)]
    [InlineData(1_048_576, 523_788)]
    public void Without_a_setting_the_capacity_follows_the_open_file_limit(long openFiles, int capacity) =>
        Assert.Equal(capacity, SocketCapacity.FromOpenFileLimit(openFiles));

    [Fact]
    public void The_open_file_limit_of_this_process_is_read() => Assert.InRange(SocketCapacity.OpenFileLimit(), 256, int.MaxValue);
}
