using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using CustomerService.Contracts;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace CustomerService.Bot.Conversations;

/// <summary>
/// Takes customer messages of bot-handled conversations from NATS (queue group "bot": each message goes to one
/// replica), loads their context, lets the engine decide and carries the decision out through Session's commands.
/// Messages are spread over lanes by conversation, so one conversation's messages are answered in order while
/// many conversations are answered at once.
/// </summary>
internal sealed partial class BotInboxWorker(
    INatsConnection nats,
    ConversationContextLoader contexts,
    BotEngine engine,
    SessionCommands session,
    BotMetrics metrics,
    TimeProvider time,
    IOptions<BotOptions> options,
    ILogger<BotInboxWorker> logger) : BackgroundService
{
    public const string QueueGroup = "bot";
    public const string BotParticipantId = "bot";
    private const int LaneCapacity = 256;

    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the inbox subscription is registered with the server.</summary>
    public Task Subscribed => _subscribed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lanes = new Channel<BotInboxMessage>[options.Value.Lanes];
        var workers = new Task[lanes.Length];
        for (var i = 0; i < lanes.Length; i++)
        {
            lanes[i] = Channel.CreateBounded<BotInboxMessage>(new BoundedChannelOptions(LaneCapacity) { SingleReader = true, SingleWriter = true });
            workers[i] = RunLaneAsync(lanes[i].Reader, stoppingToken);
        }

        try
        {
            await using var subscription = await nats.SubscribeCoreAsync(Subjects.AllBotInbox, QueueGroup,
                ProtobufSerializer<BotInboxMessage>.Default, cancellationToken: stoppingToken);
            // A round trip after SUB: once the server answers the ping, it routes the inbox to this replica.
            await nats.PingAsync(stoppingToken);
            _subscribed.TrySetResult();
            LogSubscribed(logger, Subjects.AllBotInbox, QueueGroup, lanes.Length);

            await foreach (var msg in subscription.Msgs.ReadAllAsync(stoppingToken))
            {
                if (msg.Error is not null || msg.Data?.Message is null)
                {
                    LogMalformed(logger, msg.Subject, msg.Error);
                    continue;
                }
                // The bot answers customers only: never its own messages (or an agent's) should they reach the inbox.
                if (msg.Data.Message.Sender?.Kind is ParticipantKind.Bot or ParticipantKind.Agent or ParticipantKind.System) continue;
                var lane = (int)((uint)string.GetHashCode(msg.Data.Message.ConversationId, StringComparison.Ordinal) % (uint)lanes.Length);
                // A full lane slows the subscription down rather than dropping messages.
                await lanes[lane].Writer.WriteAsync(msg.Data, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var lane in lanes) lane.Writer.TryComplete();
            await Task.WhenAll(workers);
        }
    }

    private async Task RunLaneAsync(ChannelReader<BotInboxMessage> lane, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var inbox in lane.ReadAllAsync(stoppingToken))
            {
                await HandleAsync(inbox, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(BotInboxMessage inbox, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var message = inbox.Message;
        var tenantId = message.TenantId;
        var conversationId = message.ConversationId;
        try
        {
            var decision = await engine.HandleAsync(new BotTurn
            {
                TenantId = tenantId,
                Message = message,
                ConversationStarted = inbox.ConversationStarted,
                Language = inbox.Language,
                Context = contexts.LoadAsync(tenantId, conversationId),
            }, cancellationToken);

            foreach (var reply in decision.Replies)
            {
                await session.PostAsync(ToChatMessage(message, decision.BotName, reply), cancellationToken);
            }
            if (decision.Handoff is { } handoff)
            {
                await session.HandOffAsync(new HandoffCommand
                {
                    TenantId = tenantId,
                    ConversationId = conversationId,
                    Reason = handoff.Reason,
                    SkillGroup = handoff.SkillGroup,
                }, cancellationToken);
                LogHandedOff(logger, tenantId, conversationId, handoff.Reason);
            }
            metrics.Record(tenantId, decision, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, tenantId, conversationId, message.MessageId, ex);
        }
    }

    private ChatMessage ToChatMessage(ChatMessage customerMessage, string botName, BotReply reply)
    {
        var message = new ChatMessage
        {
            MessageId = Guid.CreateVersion7().ToString("N"),
            TenantId = customerMessage.TenantId,
            ConversationId = customerMessage.ConversationId,
            Sender = new Participant { Kind = ParticipantKind.Bot, Id = BotParticipantId, DisplayName = botName },
            Text = reply.Text,
            SentAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        foreach (var button in reply.QuickReplies) message.QuickReplies.Add(new QuickReply { Title = button.Title, Payload = button.Payload });
        // Why the bot said it, for the agent who takes over and for reports.
        message.Metadata[MetadataKeys.InReplyTo] = customerMessage.MessageId;
        message.Metadata[MetadataKeys.Source] = reply.Source;
        if (reply.Reference.Length > 0) message.Metadata[MetadataKeys.Reference] = reply.Reference;
        if (reply.Confidence is { } confidence) message.Metadata[MetadataKeys.Confidence] = confidence.ToString("0.###", CultureInfo.InvariantCulture);
        return message;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot listening on {Subject} (queue group {QueueGroup}, {Lanes} lanes)")]
    private static partial void LogSubscribed(ILogger logger, string subject, string queueGroup, int lanes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Malformed bot inbox message on {Subject} skipped")]
    private static partial void LogMalformed(ILogger logger, string subject, Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {TenantId}/{ConversationId} handed off ({Reason})")]
    private static partial void LogHandedOff(ILogger logger, string tenantId, string conversationId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bot could not handle message {MessageId} of {TenantId}/{ConversationId}")]
    private static partial void LogFailed(ILogger logger, string tenantId, string conversationId, string messageId, Exception exception);
}

/// <summary>Metadata the bot puts on its messages.</summary>
public static class MetadataKeys
{
    /// <summary>The customer message this one answers.</summary>
    public const string InReplyTo = "bot.in_reply_to";
    /// <summary>rule, canned, welcome, off_hours, fallback, handoffnotice, or the predictor's name.</summary>
    public const string Source = "bot.source";
    /// <summary>The rule, canned answer or FAQ entry id.</summary>
    public const string Reference = "bot.reference";
    public const string Confidence = "bot.confidence";
}
