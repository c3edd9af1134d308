using CustomerService.Contracts;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The JetStream streams of the message path, defined once (subjects in <see cref="Subjects"/>; docs/events.md).
/// Every service that publishes or consumes them calls <see cref="EnsureAsync"/> on start; it is idempotent.
/// </summary>
public static class ChatStreams
{
    /// <summary>Stream of every chat message: subjects cs.msg.{tenant}.{conversation}; payload ChatMessage (protobuf).</summary>
    public const string Messages = "CHAT_MESSAGES";
    /// <summary>Stream of every conversation event: cs.conv.{tenant}.{conversation}.{kind}; payload ConversationEvent.</summary>
    public const string Events = "CONVERSATION_EVENTS";

    /// <summary>De-duplication window: a message re-published with the same Nats-Msg-Id within it is stored once.</summary>
    public static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the streams keep a message: the archive (HistoryWriter) may be down this long and still archive
    /// everything once it is back. Webhooks and snapshots read the streams too.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);

    /// <summary>
    /// The most each stream holds on disk; past it the oldest messages go (discard old), so a flood fills neither the
    /// disk nor stops the chat. What the archive has not yet taken is watched against both limits (HistoryWriter's
    /// StreamLimitsWatch: a warning and a degraded health check at half of either), so nothing is lost unnoticed.
    /// </summary>
    public const long MessagesMaxBytes = 8L << 30, EventsMaxBytes = 2L << 30;

    public static async Task EnsureAsync(INatsJSContext js, CancellationToken cancellationToken = default)
    {
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Messages, [Subjects.AllMessages])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = MaxAge,
            MaxBytes = MessagesMaxBytes,
            Discard = StreamConfigDiscard.Old,
        }, cancellationToken);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Events, [Subjects.AllConversationEvents])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = MaxAge,
            MaxBytes = EventsMaxBytes,
            Discard = StreamConfigDiscard.Old,
        }, cancellationToken);
    }
}
