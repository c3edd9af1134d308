using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Session.Conversations;

/// <summary>
/// What a (re)connecting client is owed: the messages after its last seen seq, in order, once. The latest
/// messages come from Redis; a gap older than Redis keeps is read back from the conversation's JetStream subject.
/// </summary>
public sealed class ConversationHistory(ConversationStore store, INatsJSContext jetStream)
{
    public async Task<ConversationFrame> DescribeAsync(Conversation conversation, long afterSeq, CancellationToken ct)
    {
        var messages = await MessagesAfterAsync(conversation, afterSeq, ct);
        return new ConversationFrame(conversation.Id, conversation.State, conversation.LastSeq,
            new CustomerFrame(conversation.VisitorId, conversation.VisitorName),
            conversation.AgentId is null ? null : new AgentFrame(conversation.AgentId, conversation.AgentName),
            conversation.SkillGroup, messages.Select(Frames.Message).ToArray());
    }

    public async Task<IReadOnlyList<ChatMessage>> MessagesAfterAsync(Conversation conversation, long afterSeq, CancellationToken ct)
    {
        var recent = await store.GetRecentAsync(conversation.Tenant, conversation.Id);
        bool redisCoversGap = recent.Count > 0 && (recent[0].Seq <= afterSeq + 1 || recent.Count < RedisKeys.RecentMessagesKept);
        if (redisCoversGap || conversation.LastSeq <= afterSeq)
            return recent.Where(m => m.Seq > afterSeq).ToList();
        return await ReadFromStreamAsync(conversation, afterSeq, ct);
    }

    private async Task<IReadOnlyList<ChatMessage>> ReadFromStreamAsync(Conversation conversation, long afterSeq, CancellationToken ct)
    {
        var consumer = await jetStream.CreateOrderedConsumerAsync(ChatStreams.Messages, new NatsJSOrderedConsumerOpts
        {
            FilterSubjects = [Subjects.Message(conversation.Tenant, conversation.Id)],
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        }, ct);
        var bySeq = new SortedDictionary<long, ChatMessage>();
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 100_000 }, cancellationToken: ct))
        {
            if (msg.Data is null) continue;
            var message = ChatMessage.Parser.ParseFrom(msg.Data);
            if (message.Seq > afterSeq) bySeq.TryAdd(message.Seq, message);
        }
        return bySeq.Values.ToList();
    }
}
