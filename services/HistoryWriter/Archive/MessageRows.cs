using CustomerService.Contracts;
using CustomerService.HistoryWriter.Storage;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>A ChatMessage as a row of the messages table (<see cref="HistorySchema.MessageColumns"/>, in that order).</summary>
internal static class MessageRows
{
    public static void Write(RowBinaryWriter row, ChatMessage message, ushort retentionDays, long archivedAtMs)
    {
        row.String(message.TenantId);
        row.String(message.ConversationId);
        row.Int64(message.Seq);
        row.String(message.MessageId);
        row.String(ParticipantKinds.Name(message.Sender?.Kind ?? ParticipantKind.Unspecified));
        row.String(message.Sender?.Id ?? "");
        row.String(message.Sender?.DisplayName ?? "");
        row.String(message.Text);
        row.DateTime64Milliseconds(message.SentAtUnixMs);
        row.VarUInt((ulong)message.Metadata.Count);
        foreach (var (key, value) in message.Metadata)
        {
            row.String(key);
            row.String(value);
        }
        row.VarUInt((ulong)message.QuickReplies.Count);
        foreach (var reply in message.QuickReplies)
        {
            row.String(reply.Title);
            row.String(reply.Payload);
        }
        row.UInt16(retentionDays);
        row.DateTime64Milliseconds(archivedAtMs);
    }
}

/// <summary>The names history stores for participant kinds (the proto enum without its prefix, lower case).</summary>
internal static class ParticipantKinds
{
    public const string Customer = "customer";
    public const string Agent = "agent";
    public const string Bot = "bot";
    public const string System = "system";

    public static string Name(ParticipantKind kind) => kind switch
    {
        ParticipantKind.Customer => Customer,
        ParticipantKind.Agent => Agent,
        ParticipantKind.Bot => Bot,
        ParticipantKind.System => System,
        _ => "unspecified",
    };
}
