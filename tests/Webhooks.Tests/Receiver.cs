using System.Collections.Concurrent;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CustomerService.Webhooks.Tests;

/// <summary>One POST as a receiver saw it, and the status it answered.</summary>
public sealed record Received(string Path, string? DeliveryId, string? Event, string? Timestamp, string? Signature, string? Attempt,
    string? ContentType, byte[] Body, int Status, DateTimeOffset At)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A real HTTP server (Kestrel on loopback) standing for tenants' webhook endpoints: POST /{name} is answered by
/// the behaviour set for that name (default 200) and every request is kept.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<Received, int>> _behaviours = new();
    private readonly ConcurrentDictionary<(string, string), int> _attempts = new();
    private readonly ConcurrentQueue<Received> _received = new();

    private Receiver(WebApplication app, string host, int port)
    {
        _app = app;
        BaseUrl = $"http://{host}:{port}";
    }

    public string BaseUrl { get; }

    public IReadOnlyList<Received> All => _received.ToArray();

    public IReadOnlyList<Received> At(string name) => _received.Where(r => r.Path == "/" + name).ToArray();

    public string Url(string name) => $"{BaseUrl}/{name}";

    /// <summary>Answers with <paramref name="status"/> for the first <paramref name="failures"/> attempts of each delivery id, then 200.</summary>
    public void FailFirst(string name, int failures, int status = 500) =>
        _behaviours[name] = r => _attempts.AddOrUpdate((name, r.DeliveryId ?? ""), 1, (_, n) => n + 1) <= failures ? status : 200;

    public void Answer(string name, int status) => _behaviours[name] = _ => status;

    /// <param name="host">A loopback address to listen on (any 127.x.y.z works on Linux).</param>
    public static async Task<Receiver> StartAsync(string host = "127.0.0.1")
    {
        int port = LocalServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{host}:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app, host, port);
        app.MapPost("/{name}", async (string name, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var seen = new Received("/" + name, request.Headers["X-CS-Delivery"], request.Headers["X-CS-Event"], request.Headers["X-CS-Timestamp"],
                request.Headers["X-CS-Signature"], request.Headers["X-CS-Attempt"], request.ContentType, buffer.ToArray(), 0, DateTimeOffset.UtcNow);
            int status = receiver._behaviours.TryGetValue(name, out var behaviour) ? behaviour(seen) : 200;
            receiver._received.Enqueue(seen with { Status = status });
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
