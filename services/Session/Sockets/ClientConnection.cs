using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace CustomerService.Session.Sockets;

/// <summary>Who is on the other end of a socket, as the gateway told us.</summary>
public sealed record Identity(string Tenant, string UserId, string Role, string Name, IReadOnlyList<string> SkillGroups)
{
    public bool IsCustomer => Role == Contracts.Roles.Visitor;
    public bool IsSupervisor => Role is Contracts.Roles.Supervisor or Contracts.Roles.Admin;

    /// <summary>The ver of the token the socket was opened with (X-CS-Token-Version; 0 when absent).</summary>
    public int TokenVersion { get; init; }
}

/// <summary>
/// One WebSocket. Frames to it go through a bounded outbox drained by one send loop, so a slow reader costs a
/// fixed amount of memory: when the outbox is full the connection is closed with a reason instead of growing.
/// </summary>
public sealed class ClientConnection
{
    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _outbox;
    private readonly CancellationTokenSource _closing = new();
    private string? _closeReason;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.PolicyViolation;

    public ClientConnection(WebSocket socket, Identity identity, int outboxFrames)
    {
        _socket = socket;
        Identity = identity;
        _outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(outboxFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");
    public Identity Identity { get; }

    /// <summary>Conversations this socket takes part in (keys of <see cref="ConnectionRegistry"/>).</summary>
    public ConcurrentDictionary<string, byte> Conversations { get; } = new();

    public CancellationToken Closing => _closing.Token;

    /// <summary>
    /// False after a hello with <c>"echo": false</c>: the socket's own messages are not sent back to it when they were
    /// stored exactly as it sent them, since its ack (seq) already told it everything. A masked, flagged or merged
    /// message still comes back, and so does every message to the user's other sockets.
    /// </summary>
    public bool EchoOwnMessages { get; set; } = true;

    /// <summary>clientId → text of this socket's messages being posted, while echo is off (bounded: a lost entry only costs an echo).</summary>
    /// <remarks>Made at the first post with echo off: a socket with echo on (or that never posts) holds none.</remarks>
    private ConcurrentDictionary<string, string>? _posting;
    private const int PostingKept = 256;

    /// <summary>Called before a message of this socket is numbered and published: its delivery may arrive before the publish returns.</summary>
    public void Posting(string clientId, string text)
    {
        if (EchoOwnMessages) return;
        var posting = LazyInitializer.EnsureInitialized(ref _posting);
        if (posting.Count >= PostingKept) posting.Clear();
        posting[clientId] = text;
    }

    /// <summary>The post failed or was a resend: whatever arrives for it is delivered as usual.</summary>
    public void Posted(string clientId) => Volatile.Read(ref _posting)?.TryRemove(clientId, out _);

    /// <summary>True when <paramref name="message"/> is this socket's own, stored as sent: its ack said all there is.</summary>
    public bool IsOwnEcho(Contracts.ChatMessage message) =>
        !EchoOwnMessages && message.Sender.Id == Identity.UserId && Volatile.Read(ref _posting) is { } posting
        && posting.TryRemove(message.MessageId, out var text)
        && text == message.Text && message.Metadata.Count == 0 && message.QuickReplies.Count == 0;

    public string? CloseReason => _closeReason;

    /// <summary>The socket was cut without a close handshake (by its keep-alive, or by <see cref="Close"/>'s fallback).</summary>
    public bool Aborted => _socket.State == WebSocketState.Aborted;

    /// <summary>Queues a frame; never blocks. False when the connection is closing or too slow to keep up.</summary>
    public bool Send(byte[] frame)
    {
        if (_outbox.Writer.TryWrite(frame)) return true;
        Close("slow consumer: send buffer full");
        return false;
    }

    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null) return;
        _outbox.Writer.TryComplete();
        _closing.Cancel();
    }

    /// <summary>
    /// Closes with a code the client acts on (4401: its token was revoked), so the close frame must reach it: it is
    /// sent before anything is cancelled (cancelling a pending receive would abort the socket unannounced), the
    /// frames still queued are dropped, and the socket is cut anyway after <see cref="CloseHandshakePatience"/>.
    /// </summary>
    public void CloseWith(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null) return;
        _closeStatus = status;
        _dropQueued = true;
        _outbox.Writer.TryComplete();
        _closing.CancelAfter(CloseHandshakePatience);
    }

    private static readonly TimeSpan CloseHandshakePatience = TimeSpan.FromSeconds(2);
    private volatile bool _dropQueued;

    public async Task RunSendLoopAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(linked.Token))
                while (_outbox.Reader.TryRead(out var frame))
                    if (!_dropQueued) await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, linked.Token);
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        await CloseSocketAsync();
    }

    private async Task CloseSocketAsync()
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        var status = _closeReason is null ? WebSocketCloseStatus.NormalClosure : _closeStatus;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseOutputAsync(status, Truncate(_closeReason ?? "bye"), timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }

    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..120];

    /// <summary>
    /// Reads one whole message into <paramref name="buffer"/>. Returns its length, -1 when it was larger than the
    /// buffer (the rest is read and dropped so the socket stays usable), or null when the socket closed.
    /// </summary>
    public async Task<int?> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int length = 0;
        bool tooLarge = false;
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                if (!tooLarge && length < buffer.Length)
                {
                    result = await _socket.ReceiveAsync(buffer[length..], cancellationToken);
                    length += result.Count;
                }
                else
                {
                    // The buffer is full: too large only if more comes (a frame at the limit may end in an empty fragment).
                    scratch ??= ArrayPool<byte>.Shared.Rent(4096);
                    result = await _socket.ReceiveAsync(scratch.AsMemory(), cancellationToken);
                    tooLarge |= result.Count > 0;
                }
                if (result.MessageType == WebSocketMessageType.Close) return null;
                if (result.EndOfMessage)
                {
                    return tooLarge ? -1 : length;
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
