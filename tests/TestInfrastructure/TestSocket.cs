using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CustomerService.Contracts;

namespace CustomerService.TestInfrastructure;

/// <summary>A client socket that collects every frame it receives.</summary>
public sealed class TestSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonNode> _frames = Channel.CreateUnbounded<JsonNode>();
    private readonly Func<string>? _serviceOutput;
    private readonly Task _reading;

    /// <param name="serviceOutput">The service's output, added to a timeout's message when it runs as a process.</param>
    public TestSocket(ClientWebSocket socket, Func<string>? serviceOutput = null)
    {
        _socket = socket;
        _serviceOutput = serviceOutput;
        _reading = ReadAsync();
    }

    /// <summary>A socket to Session at <paramref name="session"/> as the gateway would open it for this identity (the identity headers set and signed).</summary>
    public static async Task<TestSocket> ConnectAsync(Uri session, string tenant, string user, string role, string? name = null,
        Func<string>? serviceOutput = null)
    {
        var socket = new ClientWebSocket();
        TestIdentity.SetIdentity(socket.Options, tenant, user, role, Uri.EscapeDataString(name ?? user));
        var path = role == Roles.Visitor ? "customer" : "agent";
        await socket.ConnectAsync(new Uri($"ws://{session.Authority}/ws/{path}"), CancellationToken.None);
        return new TestSocket(socket, serviceOutput);
    }

    /// <summary>Every frame received so far that a Next call has passed over or returned.</summary>
    public ConcurrentQueue<JsonNode> Seen { get; } = new();

    public Task SendAsync(object frame) =>
        _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendRawAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Bytes as they are, in one WebSocket message or a fragment of one (<paramref name="endOfMessage"/> false).</summary>
    public Task SendBytesAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type = WebSocketMessageType.Text, bool endOfMessage = true) =>
        _socket.SendAsync(bytes, type, endOfMessage, CancellationToken.None).AsTask();

    /// <summary>The socket's state as the client sees it (Open until either side closes it).</summary>
    public WebSocketState State => _socket.State;

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
            var output = _serviceOutput is null ? "" : $"\nSession's output:\n{_serviceOutput()}";
            throw new TimeoutException($"no '{type}' frame; seen: {string.Join("\n", Seen.Select(f => f.ToJsonString()))}{output}");
        }
    }

    /// <summary>
    /// Sends <paramref name="frame"/> (a message with <paramref name="clientId"/>) again and again, each time waiting
    /// <paramref name="perTry"/> for its ack, until one comes: for a service whose connection to a dependency comes back
    /// a moment after the dependency does. The service stores a resent message once, so the ack is the one to check.
    /// </summary>
    public Task<JsonNode> SendUntilAckedAsync(object frame, string clientId, string what, TimeSpan patience, TimeSpan perTry) =>
        Eventually.GetAsync(async () =>
        {
            await SendAsync(frame);
            return await NextAsync("ack", perTry, f => (string?)f["clientId"] == clientId);
        }, _ => true, what, patience, interval: TimeSpan.Zero, notYet: e => e is TimeoutException);

    /// <summary>
    /// A frame of the given type that a Next call has already passed over, or else the next one to come: for frames
    /// whose order against the ones read first is not promised (a signal and a JetStream message, say).
    /// </summary>
    public Task<JsonNode> SeenOrNextAsync(string type, TimeSpan? timeout = null, Func<JsonNode, bool>? match = null) =>
        Seen.FirstOrDefault(f => (string?)f["type"] == type && (match is null || match(f))) is { } seen
            ? Task.FromResult(seen)
            : NextAsync(type, timeout, match);

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
