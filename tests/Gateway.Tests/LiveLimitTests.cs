using System.Net;
using System.Net.WebSockets;
using System.Text;
using CustomerService.Contracts;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// A tenant's socket cap (<c>gateway.max_sockets</c>) written through the real Admin API and enforced by both gateway
/// replicas, each counting its own sockets.
/// </summary>
[Collection(LiveGatewayCollection.Name)]
public sealed class LiveLimitTests(LiveGatewayFixture fixture) : IDisposable
{
    private static readonly TimeSpan InEffectWithin = TimeSpan.FromSeconds(1);
    private readonly List<ClientWebSocket> _sockets = [];

    private static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<(HttpStatusCode Status, ClientWebSocket Socket)> ConnectAsync(GatewayHost gateway, string tenant)
    {
        var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        _sockets.Add(socket);
        var token = fixture.Tokens.Mint(tenant: tenant, subject: $"agent-{Guid.NewGuid():N}", role: Roles.Agent);
        try
        {
            await socket.ConnectAsync(gateway.SocketUri($"/ws/agent?access_token={token}"), CancellationToken.None);
            await ReceiveAsync(socket);   // the downstream's "seen" frame
        }
        catch (WebSocketException) { }
        return (socket.HttpStatusCode, socket);
    }

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[16 * 1024];
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    private static async Task AssertEchoesAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal(text, await ReceiveAsync(socket));
    }

    public void Dispose()
    {
        foreach (var socket in _sockets) socket.Dispose();
    }

    [Fact]
    public async Task A_tenant_socket_cap_written_through_admin_refuses_past_it_in_each_gateway_and_a_change_applies_to_new_sockets_only()
    {
        var tenant = NewTenant("sockets");
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant, """{"max_sockets":2}"""), InEffectWithin);

        var held = new List<ClientWebSocket>();
        foreach (var gateway in fixture.Gateways)
        {
            for (var i = 0; i < 2; i++)
            {
                var (status, socket) = await ConnectAsync(gateway, tenant);
                Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
                held.Add(socket);
            }
            var (refused, refusedSocket) = await ConnectAsync(gateway, tenant);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused);
            Assert.NotNull(refusedSocket.HttpResponseHeaders?["Retry-After"]);
            // Another tenant keeps the default cap.
            Assert.Equal(HttpStatusCode.SwitchingProtocols, (await ConnectAsync(gateway, NewTenant("neighbour"))).Status);
        }

        // Raised: one more in each replica.
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant, """{"max_sockets":3}"""), InEffectWithin);
        foreach (var gateway in fixture.Gateways)
        {
            var (status, socket) = await ConnectAsync(gateway, tenant);
            Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
            held.Add(socket);
        }

        // Lowered below what is held: nothing held is cut, nothing new gets in until enough have closed.
        await fixture.WaitForVersionAsync(await fixture.PutAsync(tenant, """{"max_sockets":1}"""), InEffectWithin);
        foreach (var gateway in fixture.Gateways)
            Assert.Equal(HttpStatusCode.TooManyRequests, (await ConnectAsync(gateway, tenant)).Status);
        for (var i = 0; i < held.Count; i++) await AssertEchoesAsync(held[i], $"held {i}");

        // Back to the default (5,000): room again.
        (await fixture.SendAdminAsync(HttpMethod.Delete, tenant)).EnsureSuccessStatusCode();
        foreach (var gateway in fixture.Gateways)
            for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(5); ; await Task.Delay(20))
            {
                var (status, _) = await ConnectAsync(gateway, tenant);
                if (status == HttpStatusCode.SwitchingProtocols) break;
                Assert.True(DateTime.UtcNow < until, $"still {status} after the document was deleted");
            }
    }
}
