using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CustomerService.Integration;

/// <summary>A chat socket through the gateway, as the widget or the console would hold it, reading frames as JSON.</summary>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonObject> _frames = Channel.CreateUnbounded<JsonObject>();
    private readonly List<JsonObject> _seen = [];
    private readonly HashSet<string> _conversations = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;
    public bool IsOpen => _socket.State == WebSocketState.Open;

    /// <summary>The conversations this socket has sent a message into (from its acks).</summary>
    public IReadOnlyList<string> Conversations { get { lock (_conversations) return [.. _conversations]; } }
    public string? CloseDescription => _socket.CloseStatusDescription;

    public static async Task<ChatClient> ConnectAsync(Uri gateway, string path, string token)
    {
        var client = new ChatClient();
        var ws = new UriBuilder(gateway) { Scheme = gateway.Scheme == "https" ? "wss" : "ws", Path = path, Query = $"access_token={token}" }.Uri;
        await client._socket.ConnectAsync(ws, CancellationToken.None);
        client._reader = client.ReadAsync();
        return client;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                int length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), _stop.Token);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, length)) is not JsonObject frame) continue;
                if ((string?)frame["type"] == "ack" && (string?)frame["conversationId"] is { } conversation)
                    lock (_conversations) _conversations.Add(conversation);
                await _frames.Writer.WriteAsync(frame);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        _frames.Writer.TryComplete();
    }

    public Task SendAsync(object frame) => SendRawAsync(JsonSerializer.Serialize(frame, JsonSerializerOptions.Web));

    public async Task SendRawAsync(string text) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next frame (seen before or arriving) of the type that matches, skipping others.</summary>
    public async Task<JsonObject> ExpectAsync(string type, Func<JsonObject, bool>? match = null, TimeSpan? timeout = null)
    {
        bool Matches(JsonObject f) => (string?)f["type"] == type && (match?.Invoke(f) ?? true);
        lock (_seen)
        {
            var earlier = _seen.FirstOrDefault(Matches);
            if (earlier is not null) { _seen.Remove(earlier); return earlier; }
        }
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                if (Matches(frame)) return frame;
                lock (_seen) _seen.Add(frame);
            }
        }
        catch (OperationCanceledException)
        {
            string seen;
            lock (_seen) seen = string.Join("\n", _seen.Select(f => f.ToJsonString()));
            throw new TimeoutException($"no '{type}' frame within {(timeout ?? Patience).TotalSeconds} s; other frames:\n{seen}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"socket closed ({CloseStatus} {CloseDescription}) while waiting for '{type}'");
        }
    }

    /// <summary>Every frame of a type that arrives within the window (for asserting absence or counting).</summary>
    public async Task<List<JsonObject>> CollectAsync(string type, TimeSpan window)
    {
        var found = new List<JsonObject>();
        lock (_seen)
        {
            found.AddRange(_seen.Where(f => (string?)f["type"] == type));
            _seen.RemoveAll(f => (string?)f["type"] == type);
        }
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                if ((string?)frame["type"] == type) found.Add(frame);
                else lock (_seen) _seen.Add(frame);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException) { }
        return found;
    }

    /// <summary>Drops the connection without a close handshake, as a lost network would.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
        _stop.Cancel();
        if (_reader is not null) await _reader;
        _socket.Dispose();
    }
}
