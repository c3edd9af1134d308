using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using AgentPresence = CustomerService.Session.Conversations.AgentPresence;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using CustomerService.Session.Tickets;
using Microsoft.Extensions.Options;

namespace CustomerService.Session.Sockets;

/// <summary>
/// Runs one socket: reads frames, answers each (ack, error, pong, ...), and leaves delivery of everything other
/// participants do to <see cref="DeliveryListener"/>. A bad frame gets an error frame and the socket lives on.
/// </summary>
public sealed partial class SocketSession(
    ConversationService conversations,
    ConversationStore store,
    ConversationHistory history,
    ConnectionRegistry registry,
    AgentPresence presence,
    ChatBus bus,
    CustomerContextPreloader customerContext,
    TicketDesk tickets,
    JoinProbe probe,
    SocketRevocations revocations,
    IOptions<SessionOptions> options,
    ILogger<SocketSession> logger)
{
    /// <summary>Which Session process holds the socket: for diagnostics and the scale-out tests.</summary>
    private static readonly string Replica = $"{Environment.MachineName}:{Environment.ProcessId}";

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z")]
    private static partial Regex IdFormat();

    public async Task RunAsync(ClientConnection connection, CancellationToken cancellationToken)
    {
        var socketTrace = Activity.Current?.Context ?? default;
        registry.AddUser(connection);
        revocations.CloseIfRevoked(connection);
        if (!connection.Identity.IsCustomer) await presence.ConnectedAsync(connection.Identity);
        var sendLoop = connection.RunSendLoopAsync(cancellationToken);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Closing);
        var inbox = Channel.CreateBounded<ClientFrame>(new BoundedChannelOptions(options.Value.InboxFrames)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var handling = HandleInboxAsync(connection, inbox.Reader, socketTrace, linked.Token);
        try
        {
            await ReadFramesAsync(connection, inbox.Writer, linked.Token);
        }
        // Aborted under a pending receive, neither by us nor by the client's going: the keep-alive found the client
        // silent (no pong within KeepAliveTimeout). Said in the log, unlike a client's own drop.
        catch (OperationCanceledException) when (connection.Aborted && connection.CloseReason is null)
        {
            connection.Close($"no answer to the keep-alive within {options.Value.KeepAliveTimeout.TotalSeconds:0.#} s");
        }
        catch (OperationCanceledException) { }
        catch (System.Net.WebSockets.WebSocketException) { }
        finally
        {
            inbox.Writer.TryComplete();
            connection.Close(connection.CloseReason ?? "closed");
            await handling;
            await sendLoop;
            bool last = registry.Remove(connection);
            if (!connection.Identity.IsCustomer) await presence.DisconnectedAsync(connection.Identity, last);
            if (connection.CloseReason is { } reason && reason != "closed") LogClosed(connection.Identity.UserId, reason);
        }
    }

    /// <summary>
    /// Reads the socket without pause and queues its frames for <see cref="HandleInboxAsync"/>: a WebSocket takes in
    /// the client's pongs only while a receive is pending, so a socket whose hello or message waits on a slow store must
    /// still be read, or its keep-alive closes it as dead (and every socket a Session restart brought back at once
    /// would be closed together). A frame that finds the inbox full is refused as <c>rate_limited</c> (sent again by
    /// the client, nothing lost), never read into a growing queue.
    /// </summary>
    private async Task ReadFramesAsync(ClientConnection connection, ChannelWriter<ClientFrame> inbox, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(options.Value.MaxFrameBytes);
        var budget = FrameBudget.For(connection.Identity, options.Value);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var length = await connection.ReceiveAsync(buffer.AsMemory(0, options.Value.MaxFrameBytes), ct);
                if (length is null) return;
                if (length < 0)
                {
                    connection.Send(Frames.Error("frame_too_large", $"frames are limited to {options.Value.MaxFrameBytes} bytes"));
                    continue;
                }
                if (Parse(buffer.AsSpan(0, length.Value), out var refusal) is not { } frame)
                {
                    connection.Send(refusal!);
                    continue;
                }
                // Over budget: refused before any work, the clientId returned so the client can send it again.
                if (frame.Type != FrameTypes.Ping && !budget.TryTake(out var retryAfter)) connection.Send(Frames.RateLimited(retryAfter, frame.ClientId));
                else if (!inbox.TryWrite(frame))
                    connection.Send(Frames.RateLimited(InboxFullRetry, frame.ClientId, $"{options.Value.InboxFrames} frames of this socket are waiting"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>When a frame refused for a full inbox may come again.</summary>
    private static readonly TimeSpan InboxFullRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Handles a socket's frames in the order they came. A resume may wait (numbers to settle, a stream read's turn):
    /// it runs beside the next frames, so an agent's replies and its other resumes are not held behind it. So does a
    /// hello's welcome, once the hello has joined its conversations in order: after a Session kill under load every
    /// welcome waited for stream reads, minutes in all, and the frames behind it waited too — the customers' resends
    /// that would have settled those very numbers, and the agents' resumes for the holes (docs/performance.md, "Session 14").
    /// </summary>
    private async Task HandleInboxAsync(ClientConnection connection, ChannelReader<ClientFrame> inbox, ActivityContext socketTrace,
        CancellationToken ct)
    {
        var resumes = new SideBySide(ResumesAtOnce);
        try
        {
            await foreach (var frame in inbox.ReadAllAsync(ct))
            {
                if (frame.Type == FrameTypes.Resume) await resumes.StartAsync(() => HandleFrameAsync(connection, frame, socketTrace, ct), ct);
                else if (frame.Type == FrameTypes.Hello)
                {
                    Func<Task>? welcome = null; // stays null when the joins failed (answered with an error frame)
                    await GuardAsync(connection, frame, socketTrace, async () => welcome = await HelloAsync(connection, frame, ct));
                    if (welcome is not null) await resumes.StartAsync(() => GuardAsync(connection, frame, socketTrace, welcome), ct);
                }
                else await HandleFrameAsync(connection, frame, socketTrace, ct);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            await resumes.WhenAllAsync();
        }
    }

    /// <summary>Resumes one socket runs at once; the next waits for one to finish (its frames wait in the inbox meanwhile).</summary>
    public const int ResumesAtOnce = 4;

    /// <summary>Up to a number of tasks at once, each started when there is room, all awaited at the end.</summary>
    private sealed class SideBySide(int atOnce)
    {
        private readonly SemaphoreSlim _room = new(atOnce, atOnce);
        private readonly List<Task> _running = [];

        public async Task StartAsync(Func<Task> work, CancellationToken ct)
        {
            await _room.WaitAsync(ct);
            lock (_running)
            {
                _running.RemoveAll(t => t.IsCompleted);
                _running.Add(RunAsync(work));
            }
        }

        private async Task RunAsync(Func<Task> work)
        {
            try { await work(); }
            catch (OperationCanceledException) { }
            finally { _room.Release(); }
        }

        public Task WhenAllAsync()
        {
            lock (_running) return Task.WhenAll(_running);
        }
    }

    /// <summary>
    /// A client frame read from its bytes, or null with the <c>malformed</c> error frame that answers it in
    /// <paramref name="refusal"/>: whatever the bytes, nothing else comes out of it (FrameFuzzTests).
    /// </summary>
    internal static ClientFrame? Parse(ReadOnlySpan<byte> json, out byte[]? refusal)
    {
        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize(json, FrameJson.Default.ClientFrame);
        }
        catch (JsonException e)
        {
            refusal = Frames.Error("malformed", $"not a JSON frame: {e.Message}");
            return null;
        }
        if (frame?.Type is null)
        {
            refusal = Frames.Error("malformed", "a frame needs a type");
            return null;
        }
        refusal = null;
        return frame;
    }

    private Task HandleFrameAsync(ClientConnection connection, ClientFrame frame, ActivityContext socketTrace, CancellationToken ct) =>
        GuardAsync(connection, frame, socketTrace, async () =>
        {
            switch (frame.Type)
            {
                case FrameTypes.Ping: connection.Send(Frames.Pong); break;
                case FrameTypes.Hello: await (await HelloAsync(connection, frame, ct))(); break; // the inbox runs the welcome beside instead
                case FrameTypes.Resume: await ResumeAsync(connection, frame, ct); break;
                case FrameTypes.Message: await MessageAsync(connection, frame, ct); break;
                case FrameTypes.Typing: await SignalAsync(connection, frame, typing: true, ct); break;
                case FrameTypes.Read: await SignalAsync(connection, frame, typing: false, ct); break;
                case FrameTypes.Presence: await PresenceAsync(connection, frame, ct); break;
                case FrameTypes.Transfer: await TransferAsync(connection, frame, ct); break;
                case FrameTypes.End: await EndAsync(connection, frame, ct); break;
                case FrameTypes.Ticket: connection.Send(await tickets.RequestAsync(connection.Identity, frame, ct)); break;
                default: connection.Send(Frames.Error("unknown_type", $"unknown frame type '{Truncate(frame.Type!)}'")); break;
            }
        });

    /// <summary>A frame's handling (or a part of it) traced, a failure answered with an error frame naming its clientId.</summary>
    private async Task GuardAsync(ClientConnection connection, ClientFrame frame, ActivityContext socketTrace, Func<Task> handle)
    {
        using var activity = FrameTracing.Start(frame.Type!, socketTrace, connection);
        try
        {
            await handle();
        }
        catch (Exception e) when (IsDependencyUnavailable(e))
        {
            // NATS, Redis or a service behind gRPC did not answer in time: nothing was stored past the point of
            // failure that a resend with the same clientId would not find, so the client simply tries again.
            LogFrameFailed(e, frame.Type!, connection.Identity.UserId);
            connection.Send(Frames.Error("unavailable", "the service is busy or a dependency does not answer; send it again", frame.ClientId));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFrameFailed(e, frame.Type!, connection.Identity.UserId);
            connection.Send(Frames.Error("internal", "the frame could not be handled; try again", frame.ClientId));
        }
    }

    private static bool IsDependencyUnavailable(Exception e) => e is NATS.Client.JetStream.NatsJSPublishNoResponseException
        or NATS.Client.Core.NatsNoRespondersException or NATS.Client.Core.NatsException { InnerException: TimeoutException }
        or StackExchange.Redis.RedisTimeoutException or StackExchange.Redis.RedisConnectionException
        or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded }
        or TimeoutException;

    /// <summary>
    /// A hello, in the socket's frame order: the customer's latest conversations, or every open one of the agent's,
    /// joined to their live delivery. Returns the welcome (their snapshots, then the agent's presence), to run beside
    /// the socket's next frames: a snapshot can take a while (numbers a killed replica took wait to settle, a stream
    /// read waits its turn), and a conversation joined only after the others' reads had no live delivery meanwhile —
    /// after a Session restart under load, minutes of messages its client then had to read back from the stream
    /// (docs/performance.md, "Session 12").
    /// </summary>
    private async Task<Func<Task>> HelloAsync(ClientConnection connection, ClientFrame frame, CancellationToken ct)
    {
        var identity = connection.Identity;
        if (frame.Echo is { } echo) connection.EchoOwnMessages = echo;
        var joined = new List<Conversation>();
        if (identity.IsCustomer)
        {
            foreach (var id in await store.GetVisitorConversationIdsAsync(identity.Tenant, identity.UserId))
            {
                if (joined.Count >= options.Value.ConversationsOnReturn) break;
                if (await JoinAsync(connection, id) is { } conversation) joined.Add(conversation);
            }
        }
        else
        {
            await store.SetAgentNameAsync(identity.Tenant, identity.UserId, identity.Name);
            foreach (var id in await store.GetAgentConversationIdsAsync(identity.Tenant, identity.UserId))
                if (await JoinAsync(connection, id) is { } conversation) joined.Add(conversation);
        }
        return () => WelcomeAsync(connection, frame, joined, ct);
    }

    /// <summary>The welcome to a hello: the snapshots of the conversations it joined, read side by side.</summary>
    private async Task WelcomeAsync(ClientConnection connection, ClientFrame frame, IReadOnlyList<Conversation> joined, CancellationToken ct)
    {
        var identity = connection.Identity;
        var snapshots = await Task.WhenAll(joined.Select(async conversation =>
        {
            var snapshot = await SnapshotJoinedAsync(connection, conversation, afterSeq: 0, ct, latestOnly: true);
            if (identity.IsCustomer) return snapshot;
            return snapshot is not null && ConversationStates.IsOpen(snapshot.State)
                ? snapshot with { Context = await customerContext.GetAsync(identity.Tenant, conversation.Id, atAssignment: false) }
                : null;
        }));
        var frames = snapshots.OfType<ConversationFrame>().ToList();
        frames.Reverse(); // oldest first
        connection.Send(Frames.Serialize(new WelcomeFrame(identity.Role, identity.UserId, identity.Tenant, Replica, frames)));
        if (!identity.IsCustomer && frame.Status is { } status) await SetPresenceAsync(connection, status, ct);
    }

    /// <summary>A client back after a drop: everything after its last seen seq, in order, once.</summary>
    private async Task ResumeAsync(ClientConnection connection, ClientFrame frame, CancellationToken ct)
    {
        if (!ValidId(frame.ConversationId))
        {
            connection.Send(Frames.Error("invalid", "resume needs a conversationId"));
            return;
        }
        // A seq before the first has no meaning, and one in the far negatives would have the snapshot wait for (and
        // mark void) every number from it on.
        if (frame.LastSeq < 0)
        {
            connection.Send(Frames.Error("invalid", "lastSeq must be 0 or more"));
            return;
        }
        if (await JoinAndSnapshotAsync(connection, frame.ConversationId!, frame.LastSeq ?? 0, ct) is { } snapshot)
            connection.Send(Frames.Serialize(snapshot));
        else
            connection.Send(Frames.Error("forbidden", "not a participant of this conversation"));
    }

    /// <summary>
    /// A conversation the socket takes part in: joined to its live delivery while open, then its snapshot read, in
    /// that order, so a message sent meanwhile arrives live or is in the snapshot (it waits for messages numbered
    /// before it: <see cref="ConversationHistory.SnapshotAsync"/>). Null for a conversation that does not exist or is
    /// not the socket's; one that moved on or ended between the two reads is left again.
    /// </summary>
    private async Task<ConversationFrame?> JoinAndSnapshotAsync(ClientConnection connection, string conversationId, long afterSeq, CancellationToken ct,
        bool latestOnly = false) =>
        await JoinAsync(connection, conversationId) is { } conversation
            ? await SnapshotJoinedAsync(connection, conversation, afterSeq, ct, latestOnly)
            : null;

    /// <summary>The conversation as it is, its live delivery joined while open; null when it is none of the socket's.</summary>
    private async Task<Conversation?> JoinAsync(ClientConnection connection, string conversationId)
    {
        var identity = connection.Identity;
        var conversation = await store.GetAsync(identity.Tenant, conversationId);
        if (conversation is null || !IsParticipant(identity, conversation.VisitorId, conversation.AgentId)) return null;
        await probe.BeforeJoinAsync(identity.Tenant, conversationId, identity.UserId);
        if (ConversationStates.IsOpen(conversation.State)) registry.Join(connection, conversationId);
        return conversation;
    }

    /// <summary>The snapshot of a conversation <see cref="JoinAsync"/> joined (left again when it is no longer the socket's).</summary>
    private async Task<ConversationFrame?> SnapshotJoinedAsync(ClientConnection connection, Conversation joinedAs, long afterSeq, CancellationToken ct,
        bool latestOnly)
    {
        var identity = connection.Identity;
        bool joined = ConversationStates.IsOpen(joinedAs.State);
        // A read that fails (a dependency away) leaves the socket joined: live delivery goes on while the client asks again.
        var snapshot = await history.SnapshotAsync(identity.Tenant, joinedAs.Id, afterSeq, ct, latestOnly);
        bool theirs = snapshot is not null && IsParticipant(identity, snapshot.Customer.Id, snapshot.Agent?.Id);
        if (joined && !(theirs && ConversationStates.IsOpen(snapshot!.State)))
            registry.Leave(connection, ConnectionRegistry.ConversationKey(identity.Tenant, joinedAs.Id));
        return theirs ? snapshot : null;
    }

    private async Task MessageAsync(ClientConnection connection, ClientFrame frame, CancellationToken ct)
    {
        var identity = connection.Identity;
        if (!ValidId(frame.ClientId))
        {
            connection.Send(Frames.Error("invalid", "a message needs a clientId of 1-64 letters, digits, '-' or '_'"));
            return;
        }
        if (string.IsNullOrWhiteSpace(frame.Text) || frame.Text.Length > ConversationService.MaxTextLength)
        {
            connection.Send(Frames.Error("invalid", $"text must have 1 to {ConversationService.MaxTextLength} characters", frame.ClientId));
            return;
        }

        if (frame.ConversationId is null && identity.IsCustomer)
        {
            // The first message of a visitor opens a conversation (or continues the open one).
            var open = await store.GetOpenConversationIdAsync(identity.Tenant, identity.UserId);
            var conversation = open is null ? null : await store.GetAsync(identity.Tenant, open);
            if (conversation is null || !ConversationStates.IsOpen(conversation.State))
            {
                conversation = await conversations.StartAsync(identity, frame.EntryPage, frame.Language, ct);
                registry.Join(connection, conversation.Id);
                customerContext.Preload(conversation);
                await PostAndAckAsync(connection, conversation.Id, frame, ct);
                if (conversation.State == ConversationStates.New) await conversations.EnqueueAsync(conversation, frame.Text, ct);
                return;
            }
            await PostAndAckAsync(connection, conversation.Id, frame, ct);
            // Still new: the frame that opened it failed before it was routed (NATS or Redis away), and this is its
            // resend. Route it now, or it would wait for an agent forever.
            if (conversation.State == ConversationStates.New) await conversations.EnqueueAsync(conversation, frame.Text, ct);
            return;
        }
        if (!ValidId(frame.ConversationId))
        {
            connection.Send(Frames.Error("invalid", "conversationId is malformed", frame.ClientId));
            return;
        }
        // The message path's one Redis round trip: numbering checks the conversation, its state and the sender.
        await PostAndAckAsync(connection, frame.ConversationId!, frame, ct);
    }

    private async Task PostAndAckAsync(ClientConnection connection, string conversationId, ClientFrame frame, CancellationToken ct)
    {
        var identity = connection.Identity;
        var kind = identity.IsCustomer ? ParticipantKind.Customer : ParticipantKind.Agent;
        connection.Posting(frame.ClientId!, frame.Text!);
        PostResult result;
        try
        {
            result = await conversations.PostAsync(identity, kind, conversationId, frame.ClientId!, frame.Text!, null, ct);
        }
        catch
        {
            connection.Posted(frame.ClientId!);
            throw;
        }
        if (result.Message is null || result.Duplicate) connection.Posted(frame.ClientId!);
        if (result.Message is null)
        {
            connection.Send(Frames.Error(result.ErrorCode!, result.Error!, frame.ClientId));
            return;
        }
        // A participant, so the socket follows the conversation (after a reconnect it may not have yet).
        if (ConversationStates.IsOpen(result.State!)) registry.Join(connection, conversationId);
        connection.Send(Frames.Serialize(new AckFrame(conversationId, frame.ClientId!, result.Message.Seq, result.Duplicate)));
        if (result.Duplicate) return;
        if (identity.IsCustomer) await conversations.AfterCustomerMessageAsync(result.State!, result.Message, ct);
        else await conversations.AfterAgentMessageAsync(result.State!, result.Message, ct);
    }

    private async Task SignalAsync(ClientConnection connection, ClientFrame frame, bool typing, CancellationToken ct)
    {
        if (!ValidId(frame.ConversationId)
            || !connection.Conversations.ContainsKey(ConnectionRegistry.ConversationKey(connection.Identity.Tenant, frame.ConversationId!)))
        {
            connection.Send(Frames.Error("forbidden", "join the conversation (hello or resume) before signalling in it"));
            return;
        }
        var sender = new SenderFrame(connection.Identity.IsCustomer ? "customer" : "agent", connection.Identity.UserId, connection.Identity.Name);
        var payload = typing
            ? Frames.Serialize(new TypingFrame(frame.ConversationId!, sender, frame.On ?? true))
            : Frames.Serialize(new ReadFrame(frame.ConversationId!, sender, frame.Seq ?? 0));
        await bus.PublishSignalAsync(connection.Identity.Tenant, frame.ConversationId!, payload, ct);
    }

    private async Task PresenceAsync(ClientConnection connection, ClientFrame frame, CancellationToken ct)
    {
        if (connection.Identity.IsCustomer)
        {
            connection.Send(Frames.Error("forbidden", "presence is for agents"));
            return;
        }
        await SetPresenceAsync(connection, frame.Status, ct);
    }

    private async Task SetPresenceAsync(ClientConnection connection, string? status, CancellationToken ct)
    {
        if (AgentPresence.Parse(status) is not { } parsed)
        {
            connection.Send(Frames.Error("invalid", "status must be online, away or offline"));
            return;
        }
        try
        {
            await presence.SetAsync(connection.Identity, parsed, ct);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.FailedPrecondition or Grpc.Core.StatusCode.PermissionDenied)
        {
            // Routing refuses accounts the directory deactivated or does not list: say so rather than "internal".
            connection.Send(Frames.Error("forbidden", $"this account may not take chats: {e.Status.Detail}"));
        }
    }

    private async Task TransferAsync(ClientConnection connection, ClientFrame frame, CancellationToken ct)
    {
        if (connection.Identity.IsCustomer || !ValidId(frame.ConversationId) || (frame.ToAgent is null && frame.ToGroup is null))
        {
            connection.Send(Frames.Error("invalid", "transfer needs an agent's conversationId and toAgent or toGroup"));
            return;
        }
        if (await conversations.TransferAsync(connection.Identity, frame.ConversationId!, frame.ToAgent, frame.ToGroup, ct) is { } error)
            connection.Send(Frames.Error("transfer_failed", error));
    }

    private async Task EndAsync(ClientConnection connection, ClientFrame frame, CancellationToken ct)
    {
        if (!ValidId(frame.ConversationId))
        {
            connection.Send(Frames.Error("invalid", "end needs a conversationId"));
            return;
        }
        if (await conversations.EndAsync(connection.Identity, frame.ConversationId!, frame.Reason, ct) is { } error)
            connection.Send(Frames.Error("forbidden", error));
    }

    private static bool IsParticipant(Identity identity, string visitorId, string? agentId) =>
        identity.IsCustomer ? visitorId == identity.UserId : agentId == identity.UserId || identity.IsSupervisor;

    private static bool ValidId(string? id) => id is not null && IdFormat().IsMatch(id);

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40];

    [LoggerMessage(Level = LogLevel.Error, Message = "frame {Type} from {User} failed")]
    private partial void LogFrameFailed(Exception e, string type, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "socket of {User} closed: {Reason}")]
    private partial void LogClosed(string user, string reason);
}
