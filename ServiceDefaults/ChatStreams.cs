using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The NATS subjects and JetStream streams of the message path, defined once (docs/events.md documents them).
/// Every service that publishes or consumes them calls <see cref="EnsureAsync"/> on start; it is idempotent.
/// </summary>
public static class ChatStreams
{
    /// <summary>Stream of every chat message: subjects cs.msg.{tenant}.{conversation}; payload ChatMessage (protobuf).</summary>
    public const string Messages = "CHAT_MESSAGES";
    /// <summary>Stream of every conversation event: cs.conv.{tenant}.{conversation}.{kind}; payload ConversationEvent.</summary>
    public const string Events = "CONVERSATION_EVENTS";

    public static string MessageSubject(string tenant, string conversation) => $"cs.msg.{tenant}.{conversation}";
    public static string EventSubject(string tenant, string conversation, string kind) => $"cs.conv.{tenant}.{conversation}.{kind}";

    /// <summary>De-duplication window: a message re-published with the same Nats-Msg-Id within it is stored once.</summary>
    public static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(10);

    public static async Task EnsureAsync(INatsJSContext js, CancellationToken cancellationToken = default)
    {
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Messages, ["cs.msg.>"])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = TimeSpan.FromDays(7),
        }, cancellationToken);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Events, ["cs.conv.>"])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = TimeSpan.FromDays(7),
        }, cancellationToken);
    }
}
