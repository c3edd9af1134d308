using System.Collections.Concurrent;
using System.Text.Json;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CustomerService.Bot.Tests;

/// <summary>An OpenAI-compatible chat-completions endpoint served by Kestrel on a free loopback port, whose behaviour a test sets.</summary>
internal sealed class FakeModelEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private FakeModelEndpoint(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The API base, as configured in Bot:OpenAi:Endpoint.</summary>
    public string BaseUrl { get; }

    public int Requests => Volatile.Read(ref _requests);

    public ConcurrentQueue<(string? Authorization, JsonDocument Body)> Received { get; } = new();

    public Func<HttpContext, Task> Behaviour { get; set; } = Reply("""{"answer": "ok", "confidence": 1}""");

    public static async Task<FakeModelEndpoint> StartAsync()
    {
        var port = LocalServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new FakeModelEndpoint(app, $"http://127.0.0.1:{port}/v1");
        app.MapPost("/v1/chat/completions", async context =>
        {
            Interlocked.Increment(ref endpoint._requests);
            var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            endpoint.Received.Enqueue((context.Request.Headers.Authorization.ToString(), body));
            await endpoint.Behaviour(context);
        });
        await app.StartAsync();
        return endpoint;
    }

    /// <summary>Answers with a chat completion whose message content is <paramref name="content"/>.</summary>
    public static Func<HttpContext, Task> Reply(string content) => context =>
        context.Response.WriteAsJsonAsync(new { id = "chatcmpl-1", @object = "chat.completion", choices = new[] { new { index = 0, message = new { role = "assistant", content } } } });

    public static Func<HttpContext, Task> Fail(int status) => context =>
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    };

    /// <summary>Never answers (until the client gives up).</summary>
    public static Func<HttpContext, Task> Hang() => context => Task.Delay(Timeout.Infinite, context.RequestAborted);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
