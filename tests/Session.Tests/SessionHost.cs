using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.Session.Tests;

/// <summary>
/// Session hosted in the test process as its Program.cs hosts it (service defaults, AddApplicationServices, the
/// socket endpoints), on a free port, against the given NATS and Redis. Routing and Admin are not running: the
/// tests here create conversations in the store directly and never ask Routing.
/// </summary>
public sealed class SessionHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SessionHost(WebApplication app, int port, LogLines logs)
    {
        _app = app;
        Port = port;
        Logs = logs;
    }

    public int Port { get; }
    public LogLines Logs { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<SessionHost> StartAsync(string natsUrl, string redis, IDictionary<string, string?>? settings = null)
    {
        int port = LocalServer.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "Session",
            EnvironmentName = "Testing",
            ContentRootPath = Path.Combine(LocalServer.RepoRoot, "services", "Session"),
        });
        var configuration = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings:nats"] = natsUrl,
            ["ConnectionStrings:redis"] = redis,
            // Nobody listens there: live configuration stays empty (no sensitive words, no flags, no bot-first).
            ["LiveConfig:Address"] = $"http://127.0.0.1:{LocalServer.FreePort()}",
        };
        if (settings is not null) foreach (var (key, value) in settings) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        var logs = new LogLines();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);

        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.UseWebSockets();
        app.MapDefaultEndpoints();
        Apis.SocketEndpoints.MapChatSockets(app);
        await app.StartAsync();
        return new SessionHost(app, port, logs);
    }

    public T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>A socket as the gateway would open it for this identity (the identity headers set).</summary>
    public async Task<TestSocket> ConnectAsync(string tenant, string user, string role, string? name = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(IdentityHeaders.Tenant, tenant);
        socket.Options.SetRequestHeader(IdentityHeaders.User, user);
        socket.Options.SetRequestHeader(IdentityHeaders.Role, role);
        socket.Options.SetRequestHeader(IdentityHeaders.Name, Uri.EscapeDataString(name ?? user));
        var path = role == Roles.Visitor ? "customer" : "agent";
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}/ws/{path}"), CancellationToken.None);
        return new TestSocket(socket);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A client socket that collects every frame it receives.</summary>
public sealed class TestSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonNode> _frames = Channel.CreateUnbounded<JsonNode>();
    private readonly Task _reading;

    public TestSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _reading = ReadAsync();
    }

    /// <summary>Every frame received so far that a Next call has passed over or returned.</summary>
    public ConcurrentQueue<JsonNode> Seen { get; } = new();

    public Task SendAsync(object frame) =>
        _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendRawAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next frame of the given type (others are passed over), or a TimeoutException.</summary>
    public async Task<JsonNode> NextAsync(string type, TimeSpan? timeout = null, Func<JsonNode, bool>? match = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                Seen.Enqueue(frame);
                if ((string?)frame["type"] == type && (match is null || match(frame))) return frame;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{type}' frame; seen: {string.Join("\n", Seen.Select(f => f.ToJsonString()))}");
        }
    }

    /// <summary>Frames received and not yet read by NextAsync, without waiting.</summary>
    public List<JsonNode> Pending()
    {
        var frames = new List<JsonNode>();
        while (_frames.Reader.TryRead(out var frame)) { Seen.Enqueue(frame); frames.Add(frame); }
        return frames;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                int length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) break;
                _frames.Writer.TryWrite(JsonNode.Parse(buffer.AsSpan(0, length))!);
            }
        }
        catch (WebSocketException) { }
        finally { _frames.Writer.TryComplete(); }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
    }
}

/// <summary>Every log line of a host at Information and above.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> All => _lines.ToArray();

    public bool Any(Func<string, bool> match) => _lines.Any(l => match(l.Message));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogLines lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) lines._lines.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
