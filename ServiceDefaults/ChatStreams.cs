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

    public static async Task EnsureAsync(INatsJSContext js, CancellationToken cancellationToken = default)
    {
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Messages, [Subjects.AllMessages])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = TimeSpan.FromDays(7),
        }, cancellationToken);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Events, [Subjects.AllConversationEvents])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = TimeSpan.FromDays(7),
        }, cancellationToken);
    }
}
