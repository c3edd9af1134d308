using System.Net.WebSockets;
using System.Text;

namespace CustomerService.Gateway.Tests;

/// <summary>Agent sockets through a test gateway to the downstream, which greets each socket with a "seen" frame and echoes the rest.</summary>
internal static class AgentSockets
{
    /// <summary>A socket that keeps the upgrade's status and headers, for the refusals.</summary>
    public static ClientWebSocket New() => new() { Options = { CollectHttpResponseDetails = true } };

    /// <summary>
    /// Opens <paramref name="socket"/> as an agent with <paramref name="token"/> (through <paramref name="invoker"/>, e.g. from
    /// another client address) and reads the downstream's "seen" frame. A refused upgrade throws
    /// <see cref="WebSocketException"/>; the socket then has the status it was answered with.
    /// </summary>
    public static async Task OpenAsync(this ClientWebSocket socket, GatewayHost gateway, string token, HttpMessageInvoker? invoker = null)
    {
        await socket.ConnectAsync(gateway.SocketUri($"/ws/agent?access_token={token}"), invoker, CancellationToken.None);
        await ReceiveAsync(socket);
    }

    public static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[16 * 1024];
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    public static async Task AssertEchoesAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal(text, await ReceiveAsync(socket));
    }
}
