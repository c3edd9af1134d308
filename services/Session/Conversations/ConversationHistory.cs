using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace CustomerService.Session.Conversations;

/// <summary>
/// What a socket that joins a conversation is owed: the conversation as it is now and every message after its last
/// seen seq, in order, once. The latest messages come from Redis; a gap older than Redis keeps is read back from the
/// conversation's JetStream subject.
/// </summary>
public sealed partial class ConversationHistory(
    ConversationStore store,
    INatsJSContext jetStream,
    TimeProvider time,
    IOptions<SessionOptions> options,
    ILogger<ConversationHistory> logger)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(5), LongestPause = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The snapshot of a conversation for a socket that has just joined its live delivery (call it after the join),
    /// or null when there is no such conversation. A message numbered after this read is published after the join
    /// and reaches the socket live. One numbered before it may still be on its way into Redis — its poster adds it
    /// to the latest messages after JetStream's ack — and may have been delivered by this replica before the join: so
    /// the snapshot waits until every number up to the conversation's last is settled (its message in Redis, or the
    /// number void), and reads JetStream for those still missing when <see cref="SessionOptions.SnapshotSettleWait"/>
    /// runs out. The socket may get a message both here and live; clients keep one per seq.
    /// <paramref name="latestOnly"/> (a <c>welcome</c>'s entries): from the latest messages Redis keeps on, and JetStream
    /// read only for a number among them that does not settle — a client that knows older ones resumes from its own
    /// last seq. After a Session restart every socket says hello at once; when each hello read whole conversations back
    /// from the stream, the JetStream API timed out under peak load and every agent's hello failed
    /// (docs/performance.md, "Session 8").
    /// </summary>
    public async Task<ConversationFrame?> SnapshotAsync(string tenant, string conversationId, long afterSeq, CancellationToken ct,
        bool latestOnly = false)
    {
        if (await store.ReadSnapshotAsync(tenant, conversationId) is not { } read) return null;
        var (conversation, recent, voids) = read;
        var messages = new SortedDictionary<long, ChatMessage>();
        // Redis covers the gap when its oldest message follows the client's last, or is the conversation's first. (Not
        // "fewer than it keeps": resends after lost acks leave copies in the list, so a full list can hold fewer distinct
        // messages, and a resume after a Session restart answered from it missed everything older — singles-day run,
        // docs/performance.md "Session 11".)
        bool redisCoversGap = recent.Count > 0 && (recent[0].Seq <= afterSeq + 1 || recent[0].Seq == 1);
        if (latestOnly && !redisCoversGap) afterSeq = Math.Max(afterSeq, recent.Count > 0 ? recent[0].Seq - 1 : conversation.LastSeq);
        Add(messages, recent, afterSeq);
        if (!latestOnly && !redisCoversGap && conversation.LastSeq > afterSeq) Add(messages, await ReadFromStreamAsync(conversation, ct), afterSeq);

        var deadline = time.GetUtcNow() + options.Value.SnapshotSettleWait;
        for (var pause = FirstPause; Unsettled(messages, voids, afterSeq, conversation.LastSeq) > 0;
             pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks)))
        {
            if (time.GetUtcNow() >= deadline)
            {
                Add(messages, await ReadFromStreamAsync(conversation, ct), afterSeq);
                if (Unsettled(messages, voids, afterSeq, conversation.LastSeq) is var never and > 0)
                {
                    // Taken by a post that never published (its Session killed between numbering and storing): in
                    // neither Redis nor the stream after the wait. Marked void, so the next snapshot of the conversation
                    // neither waits for them nor reads the stream again — a killed replica's numbers had every resume
                    // of those conversations read the stream, hundreds at once, until JetStream stopped storing (docs/
                    // performance.md, "Session 11"). A message that lands later still comes live and in later snapshots.
                    LogUnsettled(tenant, conversationId, never, conversation.LastSeq);
                    foreach (var seq in UnsettledSeqs(messages, voids, afterSeq, conversation.LastSeq))
                        await store.VoidAsync(tenant, conversationId, seq);
                }
                break;
            }
            await Task.Delay(pause, time, ct);
            (recent, voids) = await store.ReadSettledAsync(tenant, conversationId);
            Add(messages, recent, afterSeq);
        }
        return new ConversationFrame(conversation.Id, conversation.State, conversation.LastSeq,
            new CustomerFrame(conversation.VisitorId, conversation.VisitorName),
            conversation.AgentId is null ? null : new AgentFrame(conversation.AgentId, conversation.AgentName),
            conversation.SkillGroup, messages.Values.Select(Frames.Message).ToArray());
    }

    private static void Add(SortedDictionary<long, ChatMessage> messages, IEnumerable<ChatMessage> found, long afterSeq)
    {
        foreach (var m in found) if (m.Seq > afterSeq) messages.TryAdd(m.Seq, m);
    }

    private static IEnumerable<long> UnsettledSeqs(SortedDictionary<long, ChatMessage> messages, IReadOnlySet<long> voids, long afterSeq, long lastSeq)
    {
        for (long seq = afterSeq + 1; seq <= lastSeq; seq++)
            if (!messages.ContainsKey(seq) && !voids.Contains(seq)) yield return seq;
    }

    /// <summary>Numbers after <paramref name="afterSeq"/> up to <paramref name="lastSeq"/> with neither a message nor a void mark.</summary>
    private static long Unsettled(SortedDictionary<long, ChatMessage> messages, IReadOnlySet<long> voids, long afterSeq, long lastSeq)
    {
        long settled = 0;
        foreach (var seq in messages.Keys) if (seq <= lastSeq) settled++;
        foreach (var seq in voids) if (seq > afterSeq && seq <= lastSeq && !messages.ContainsKey(seq)) settled++;
        return Math.Max(0, lastSeq - afterSeq) - settled;
    }

    /// <summary>
    /// Every stored message of the conversation, through a short-lived consumer filtered on its subject. (The ordered
    /// consumer's filter list needs nats-server 2.10; 2.9 ignores it and would hand over every conversation's messages.)
    /// </summary>
    private async Task<IReadOnlyList<ChatMessage>> ReadFromStreamAsync(Conversation conversation, CancellationToken ct)
    {
        // A bulkhead: each read is a consumer filtered on one subject of the whole stream; a few at a time per replica
        // keep JetStream storing messages while a storm of resumes waits its turn.
        await _streamReads.WaitAsync(ct);
        try { return await ReadFromStreamOnceAsync(conversation, ct); }
        finally { _streamReads.Release(); }
    }

    private readonly SemaphoreSlim _streamReads = new(StreamReadsAtOnce, StreamReadsAtOnce);

    /// <summary>Stream reads one replica runs at once (<see cref="ReadFromStreamAsync"/>).</summary>
    public const int StreamReadsAtOnce = 4;

    private async Task<IReadOnlyList<ChatMessage>> ReadFromStreamOnceAsync(Conversation conversation, CancellationToken ct)
    {
        var consumer = await jetStream.CreateOrUpdateConsumerAsync(ChatStreams.Messages, new ConsumerConfig($"snapshot-{Guid.NewGuid():N}")
        {
            FilterSubject = Subjects.Message(conversation.Tenant, conversation.Id),
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        }, ct);
        var found = new List<ChatMessage>();
        try
        {
            await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 100_000 }, cancellationToken: ct))
            {
                if (msg.Data is null) continue;
                var message = ChatMessage.Parser.ParseFrom(msg.Data);
                if (message.TenantId == conversation.Tenant && message.ConversationId == conversation.Id) found.Add(message);
            }
        }
        finally
        {
            await jetStream.DeleteConsumerAsync(ChatStreams.Messages, consumer.Info.Name, CancellationToken.None);
        }
        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "snapshot of {Tenant}/{Conversation}: {Count} of the numbers up to {LastSeq} have no message in Redis or JetStream (taken by a post that never published)")]
    private partial void LogUnsettled(string tenant, string conversation, long count, long lastSeq);
}
