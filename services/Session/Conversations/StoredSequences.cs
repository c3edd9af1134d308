using CustomerService.Contracts;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Session.Conversations;

/// <summary>
/// The last sequence number JetStream stored for a conversation: the floor a counter Redis may have lost is raised
/// to (<see cref="ConversationStore.ReconcileMargin"/>). One stream request for the last message on the
/// conversation's subject; 0 when the stream has none.
/// </summary>
public sealed class StoredSequences(INatsJSContext jetStream)
{
    private const int NoMessageFound = 10037;
    private NatsJSStream? _stream; // after a Redis restart every open conversation asks at once: one stream lookup, not one each

    public async Task<long> LastAsync(string tenant, string conversation, CancellationToken ct)
    {
        var stream = _stream ??= (NatsJSStream)await jetStream.GetStreamAsync(ChatStreams.Messages, cancellationToken: ct);
        try
        {
            var last = await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = Subjects.Message(tenant, conversation) }, ct);
            return (long)ChatMessage.Parser.ParseFrom(last.Message.Data.Span).Seq;
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == NoMessageFound)
        {
            return 0;
        }
    }
}
