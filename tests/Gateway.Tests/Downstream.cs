using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomerService.Gateway.Tests;

/// <summary>What a service behind the gateway saw of one request.</summary>
public sealed record Seen(string Method, string Path, string Query, Dictionary<string, string> Headers, long BodyBytes)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

/// <summary>
/// Stands in for every service behind the gateway: answers each request with what it saw (JSON), and on a
/// WebSocket first sends what it saw of the upgrade, then echoes every message.
/// </summary>
public sealed class Downstream : IAsyncDisposable
{
    public const string SignInTenantHeader = "X-Test-Tenant";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _received;

    private Downstream(WebApplication app, ConcurrentDictionary<string, int> received)
    {
        _app = app;
        _received = received;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>How many requests reached this service with <paramref name="pathAndQuery"/> (tests mark theirs with a query).</summary>
    public int Received(string pathAndQuery) => _received.TryGetValue(pathAndQuery, out var count) ? count : 0;

    public static async Task<Downstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var received = new ConcurrentDictionary<string, int>();
        app.UseWebSockets();
        app.Run(async http =>
        {
            received.AddOrUpdate(http.Request.Path + http.Request.QueryString, 1, (_, n) => n + 1);
            var seen = await SeeAsync(http.Request);
            // Sign-ins answer as Admin does, naming the tenant (the test says which in X-Test-Tenant).
            if (http.Request.Path.StartsWithSegments("/api/auth") && seen.Header(SignInTenantHeader) is { } tenant)
            {
                await http.Response.WriteAsJsonAsync(new { accessToken = "token-for-" + tenant, tenant });
                return;
            }
            if (http.WebSockets.IsWebSocketRequest)
            {
                using var socket = await http.WebSockets.AcceptWebSocketAsync();
                await EchoAsync(socket, seen);
                return;
            }
            await http.Response.WriteAsJsonAsync(seen);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Downstream(app, received) { Address = new Uri(address) };
    }

    private static async Task<Seen> SeeAsync(HttpRequest request)
    {
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        long bytes = 0;
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer)) > 0) bytes += read;
        return new Seen(request.Method, request.Path, request.QueryString.Value ?? "", headers, bytes);
    }

    private static async Task EchoAsync(WebSocket socket, Seen seen)
    {
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(seen, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, default);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            var message = new MemoryStream();
            do
            {
                try { result = await socket.ReceiveAsync(buffer, default); }
                catch (WebSocketException) { return; }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
                    return;
                }
                message.Write(buffer, 0, result.Count);
            } while (!result.EndOfMessage);
            await socket.SendAsync(message.ToArray(), result.MessageType, true, default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
