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
        // A welcome's entry holds the latest few; the client resumes from its own last seq for the rest.
        if (latestOnly) afterSeq = Math.Max(afterSeq, conversation.LastSeq - RedisKeys.LatestShown);
        // Where a stream read starts: when the numbers to settle all follow the oldest of the latest messages, from that
        // message's time on; otherwise from the conversation's start.
        var since = (latestOnly || redisCoversGap) && recent.Count > 0 ? recent[0].SentAtUnixMs : conversation.CreatedAtUnixMs;
        Add(messages, recent, afterSeq);
        if (!latestOnly && !redisCoversGap && conversation.LastSeq > afterSeq)
        {
            var (found, complete) = await ReadFromStreamAsync(conversation, since, ct);
            Add(messages, found, afterSeq);
            // A read that stopped short cannot answer a resume: what it missed may be a number marked void and carrying
            // a message after all, which the wait below would not look for.
            if (!complete)
            {
                LogReadShort(tenant, conversationId, Unsettled(messages, voids, afterSeq, conversation.LastSeq).Count(), conversation.LastSeq);
                throw new TimeoutException($"the stream read of {tenant}/{conversationId} stopped short");
            }
        }

        var deadline = time.GetUtcNow() + options.Value.SnapshotSettleWait;
        for (var pause = FirstPause; Unsettled(messages, voids, afterSeq, conversation.LastSeq).Any();
             pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks)))
        {
            if (time.GetUtcNow() >= deadline)
            {
                var (found, complete) = await ReadFromStreamAsync(conversation, since, ct);
                Add(messages, found, afterSeq);
                Repair(recent, found);
                var never = Unsettled(messages, voids, afterSeq, conversation.LastSeq).ToList();
                if (never.Count == 0) break;
                if (complete && since > conversation.CreatedAtUnixMs)
                {
                    // Nothing is voided on a read that started late: a message's time is when its last post stamped
                    // it, and a resend after a lost ack (the first copy stored long before) stamps it anew, so a
                    // number after it may be stored before the read's start. Numbers still missing are looked for
                    // from the conversation's start before they count as void (once per such number: voided after).
                    (found, complete) = await ReadFromStreamAsync(conversation, conversation.CreatedAtUnixMs, ct);
                    Add(messages, found, afterSeq);
                    Repair(recent, found);
                    never = Unsettled(messages, voids, afterSeq, conversation.LastSeq).ToList();
                    if (never.Count == 0) break;
                }
                if (!complete)
                {
                    // The stream did not give back all it holds in time (nats-server busy): those numbers may carry a
                    // message, so none is voided. A resume must hold every message after its lastSeq, so it fails and
                    // the client asks again; a welcome holds what was found, and the client resumes from its own last.
                    LogReadShort(tenant, conversationId, never.Count, conversation.LastSeq);
                    if (!latestOnly) throw new TimeoutException($"the stream read of {tenant}/{conversationId} stopped short");
                    break;
                }
                // Taken by a post that never published (its Session killed between numbering and storing): in
                // neither Redis nor the stream after the wait. Marked void, so the next snapshot of the conversation
                // neither waits for them nor reads the stream again — a killed replica's numbers had every resume
                // of those conversations read the stream, hundreds at once, until JetStream stopped storing (docs/
                // performance.md, "Session 11"). A message that lands later still comes live and in later snapshots.
                LogUnsettled(tenant, conversationId, never.Count, conversation.LastSeq);
                foreach (var seq in never) await store.VoidAsync(tenant, conversationId, seq);
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

    /// <summary>
    /// Messages the stream holds among the latest ones and Redis lacks (stored, and their poster stopped before its
    /// append: a killed replica's) are put back, so the next snapshot of the conversation — the resume that follows an
    /// agent's welcome — finds them there and reads the stream no more.
    /// </summary>
    private void Repair(IReadOnlyList<ChatMessage> recent, IReadOnlyList<ChatMessage> found)
    {
        if (recent.Count == 0) return;
        var kept = recent.Select(m => m.Seq).ToHashSet();
        foreach (var m in found)
            if (m.Seq > recent[0].Seq && !kept.Contains(m.Seq)) store.AppendRecent(m);
    }

    private static void Add(SortedDictionary<long, ChatMessage> messages, IEnumerable<ChatMessage> found, long afterSeq)
    {
        foreach (var m in found) if (m.Seq > afterSeq) messages.TryAdd(m.Seq, m);
    }

    /// <summary>Numbers after <paramref name="afterSeq"/> up to <paramref name="lastSeq"/> with neither a message nor a void mark.</summary>
    private static IEnumerable<long> Unsettled(SortedDictionary<long, ChatMessage> messages, IReadOnlySet<long> voids, long afterSeq, long lastSeq)
    {
        // A client's lastSeq past the last asks for nothing (afterSeq + 1 would overflow at long.MaxValue).
        if (afterSeq >= lastSeq) yield break;
        for (long seq = afterSeq + 1; seq <= lastSeq; seq++)
            if (!messages.ContainsKey(seq) && !voids.Contains(seq)) yield return seq;
    }

    /// <summary>
    /// The conversation's stored messages from <paramref name="sinceUnixMs"/> (less <see cref="ClockSlack"/>) on, through
    /// a short-lived consumer filtered on its subject, and whether the read got all the stream holds: each message says
    /// how many more the consumer has pending, and the read goes on until that is none. (The ordered consumer's filter
    /// list needs nats-server 2.10; 2.9 ignores it and would hand over every conversation's messages.) Starting at a
    /// time spares the server the part of the stream before the conversation: a filtered read on 2.9 walks every
    /// message from where it starts.
    /// </summary>
    private async Task<(IReadOnlyList<ChatMessage> Messages, bool Complete)> ReadFromStreamAsync(Conversation conversation,
        long sinceUnixMs, CancellationToken ct)
    {
        // A bulkhead: each read is a consumer filtered on one subject of the whole stream; a few at a time per replica
        // keep JetStream storing messages while a storm of resumes waits its turn.
        await _streamReads.WaitAsync(ct);
        try { return await ReadFromStreamOnceAsync(conversation, sinceUnixMs, ct); }
        finally { _streamReads.Release(); }
    }

    private readonly SemaphoreSlim _streamReads = new(StreamReadsAtOnce, StreamReadsAtOnce);

    /// <summary>Stream reads one replica runs at once (<see cref="ReadFromStreamAsync"/>).</summary>
    public const int StreamReadsAtOnce = 4;

    /// <summary>
    /// How far before a message's own timestamp (Session's clock) a read starts, for the JetStream server's clock (it
    /// stamps what it stores) running behind Session's, and a message numbered before another and stored after it.
    /// </summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(30);

    private const int FetchBatch = 1_000, EmptyFetchesAllowed = 3;

    private async Task<(IReadOnlyList<ChatMessage>, bool)> ReadFromStreamOnceAsync(Conversation conversation, long sinceUnixMs, CancellationToken ct)
    {
        var config = new ConsumerConfig($"snapshot-{Guid.NewGuid():N}")
        {
            FilterSubject = Subjects.Message(conversation.Tenant, conversation.Id),
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        };
        if (sinceUnixMs > 0)
        {
            config.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime;
            config.OptStartTime = DateTimeOffset.FromUnixTimeMilliseconds(sinceUnixMs) - ClockSlack;
        }
        var consumer = await jetStream.CreateOrUpdateConsumerAsync(ChatStreams.Messages, config, ct);
        var found = new List<ChatMessage>();
        try
        {
            ulong pending = consumer.Info.NumPending;
            for (int empty = 0; pending > 0 && empty < EmptyFetchesAllowed;)
            {
                int got = 0;
                var batch = new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(pending, FetchBatch), Expires = TimeSpan.FromSeconds(5) };
                await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(batch, cancellationToken: ct))
                {
                    got++;
                    pending = msg.Metadata?.NumPending ?? pending - 1;
                    if (msg.Data is null) continue;
                    var message = ChatMessage.Parser.ParseFrom(msg.Data);
                    if (message.TenantId == conversation.Tenant && message.ConversationId == conversation.Id) found.Add(message);
                }
                empty = got == 0 ? empty + 1 : 0;
            }
            return (found, pending == 0);
        }
        finally
        {
            await jetStream.DeleteConsumerAsync(ChatStreams.Messages, consumer.Info.Name, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "snapshot of {Tenant}/{Conversation}: {Count} of the numbers up to {LastSeq} have no message in Redis or JetStream (taken by a post that never published)")]
    private partial void LogUnsettled(string tenant, string conversation, long count, long lastSeq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "snapshot of {Tenant}/{Conversation}: the stream read stopped short with {Count} of the numbers up to {LastSeq} unsettled; none voided")]
    private partial void LogReadShort(string tenant, string conversation, long count, long lastSeq);
}
