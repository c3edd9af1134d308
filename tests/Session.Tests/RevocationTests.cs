using System.Net.WebSockets;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.Session.Sockets;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace CustomerService.Session.Tests;

/// <summary>
/// Session closes the sockets of an account whose tokens Admin revoked (announced in Redis as Admin announces it),
/// with 4401 "token revoked", and only those: the account's sockets opened with a newer token, other accounts and
/// visitors keep theirs.
/// </summary>
public sealed class RevocationTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_revocation_closes_the_accounts_older_sockets_with_4401_and_leaves_the_rest_open()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        using var old = await ConnectAsync(host, "acme", "agent-1", Roles.Agent, version: 2);
        using var renewed = await ConnectAsync(host, "acme", "agent-1", Roles.Agent, version: 3);
        using var colleague = await ConnectAsync(host, "acme", "agent-2", Roles.Agent, version: 2);
        using var namesake = await ConnectAsync(host, "other", "agent-1", Roles.Agent, version: 2);

        await AnnounceAsync(redis, new TokenRevocation("acme", "agent-1", 3, DateTimeOffset.UtcNow.AddHours(8)));

        var (status, reason) = await ClosedAsync(old, Within);
        Assert.Equal(SocketRevocations.CloseStatus, status);
        Assert.Equal(SocketRevocations.CloseReason, reason);
        foreach (var open in new[] { renewed, colleague, namesake }) await PingAsync(open);
    }

    [Fact]
    public async Task A_socket_opened_with_an_already_revoked_token_is_closed_at_once_and_visitors_are_never_closed()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var host = await SessionHost.StartAsync(nats.Url, redis.ConnectionString);
        await AnnounceAsync(redis, new TokenRevocation("acme", "agent-9", TokenRevocation.Deleted, DateTimeOffset.UtcNow.AddHours(8)));
        await AnnounceAsync(redis, new TokenRevocation("acme", "v-0123456789abcdef0123456789abcdef", TokenRevocation.Deleted, DateTimeOffset.UtcNow.AddHours(8)));
        var known = host.Get<TokenRevocations>();
        await Eventually.UntilAsync(() => known.Count == 2, "Session learns both revocations", Within);

        using var revoked = await ConnectAsync(host, "acme", "agent-9", Roles.Agent, version: 7, hello: false);
        Assert.Equal(SocketRevocations.CloseStatus, (await ClosedAsync(revoked, Within)).Status);
        using var visitor = await ConnectAsync(host, "acme", "v-0123456789abcdef0123456789abcdef", Roles.Visitor, version: null);
        await PingAsync(visitor);
    }

    private static async Task AnnounceAsync(RedisServer redis, TokenRevocation revocation)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.True(await new TokenRevocationStore(connection).AnnounceAsync(revocation));
    }

    /// <summary>A socket as the gateway opens it for a token of this version (null: no ver, as visitors' tokens).</summary>
    private static async Task<ClientWebSocket> ConnectAsync(SessionHost host, string tenant, string user, string role, int? version, bool hello = true)
    {
        var socket = new ClientWebSocket();
        TestIdentity.SetIdentity(socket.Options, tenant, user, role, user, tokenVersion: version);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws/{(role == Roles.Visitor ? "customer" : "agent")}"), CancellationToken.None);
        if (hello)
        {
            await SendAsync(socket, new { type = "hello" });
            await NextAsync(socket, "welcome");
        }
        return socket;
    }

    private static async Task PingAsync(ClientWebSocket socket)
    {
        await SendAsync(socket, new { type = "ping" });
        await NextAsync(socket, "pong");
    }

    private static Task SendAsync(ClientWebSocket socket, object frame) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits for the next frame of <paramref name="type"/> (others passed over); fails after 10 s or on a close.</summary>
    private static async Task NextAsync(ClientWebSocket socket, string type)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var length = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), timeout.Token);
                length += result.Count;
            } while (!result.EndOfMessage);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            if (JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.GetProperty("type").GetString() == type) return;
        }
    }

    /// <summary>Reads until the server closes the socket (the signal), or fails after <paramref name="patience"/>.</summary>
    private static async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(ClientWebSocket socket, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        var buffer = new byte[64 * 1024];
        try
        {
            while ((await socket.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close) { }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the socket was not closed within {patience.TotalSeconds:F0} s");
        }
        return (socket.CloseStatus, socket.CloseStatusDescription);
    }
}
