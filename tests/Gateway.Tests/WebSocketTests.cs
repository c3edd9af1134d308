using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class WebSocketTests(GatewayFixture fixture)
{
    private static ClientWebSocket NewSocket() => new() { Options = { CollectHttpResponseDetails = true } };

    private async Task<ClientWebSocket> ConnectAsync(string pathAndQuery)
    {
        var socket = NewSocket();
        await socket.ConnectAsync(fixture.Gateway.SocketUri(pathAndQuery), CancellationToken.None);
        return socket;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return (result.MessageType, message.ToArray());
    }

    [Fact]
    public async Task An_agent_connects_with_access_token_and_the_session_sees_identity_but_not_the_token()
    {
        var token = fixture.Tokens.Mint(subject: "agent-7", role: Roles.Agent);
        using var socket = await ConnectAsync($"/ws/agent?access_token={token}&resume=12");

        var seen = JsonSerializer.Deserialize<Seen>((await ReceiveAsync(socket)).Payload, JsonSerializerOptions.Web)!;
        Assert.Equal("/ws/agent", seen.Path);
        Assert.Equal("?resume=12", seen.Query);
        Assert.Equal("agent-7", seen.Header(IdentityHeaders.User));
        Assert.Equal("demo", seen.Header(IdentityHeaders.Tenant));

        await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("hello", Encoding.UTF8.GetString((await ReceiveAsync(socket)).Payload));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Theory]
    [InlineData("/ws/agent", HttpStatusCode.Unauthorized)]
    [InlineData("/ws/agent?access_token=forged.token.value", HttpStatusCode.Unauthorized)]
    [InlineData("/ws/customer", HttpStatusCode.Unauthorized)]
    public async Task An_upgrade_without_a_valid_token_is_refused(string pathAndQuery, HttpStatusCode expected)
    {
        using var socket = NewSocket();

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(fixture.Gateway.SocketUri(pathAndQuery), CancellationToken.None));
        Assert.Equal(expected, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_visitor_token_cannot_open_the_agent_socket()
    {
        using var socket = NewSocket();

        await Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(fixture.Gateway.SocketUri($"/ws/agent?access_token={fixture.Tokens.Visitor()}"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task The_query_token_counts_only_for_socket_upgrades()
    {
        using var client = fixture.Gateway.ClientFrom();

        var response = await client.GetAsync($"/ws/agent?access_token={fixture.Tokens.Mint()}", token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_frame_over_the_limit_cuts_the_connection_while_smaller_frames_pass()
    {
        using var socket = await ConnectAsync($"/ws/customer?access_token={fixture.Tokens.Visitor()}");
        await ReceiveAsync(socket);

        // A message may span several frames; the gateway limits frames, the Session service limits messages.
        var part = new byte[GatewayFixture.MaxFrameBytes - 100];
        await socket.SendAsync(part, WebSocketMessageType.Binary, false, CancellationToken.None);
        await socket.SendAsync(part, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(2 * part.Length, (await ReceiveAsync(socket)).Payload.Length);

        await socket.SendAsync(new byte[GatewayFixture.MaxFrameBytes + 1], WebSocketMessageType.Binary, true, CancellationToken.None);
        var cut = await Record.ExceptionAsync(async () =>
        {
            var (type, _) = await ReceiveAsync(socket);
            Assert.Equal(WebSocketMessageType.Close, type);
        });
        Assert.True(cut is null or WebSocketException, cut?.ToString());
        Assert.NotEqual(WebSocketState.Open, socket.State);
    }
}
