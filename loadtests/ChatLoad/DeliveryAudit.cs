using System.Collections.Concurrent;
using System.Diagnostics;

namespace CustomerService.ChatLoad;

/// <summary>
/// The end-of-run audit: every customer message the platform acknowledged, checked against what the socket of the
/// agent it was assigned to received (in the assignment's conversation frame or live) and against the archive. A
/// message acked and archived but never on the agent's socket is lost, not a pass. Clients keep one message per seq
/// (frames may overlap), so "doubled" is one client id shown under two seqs, at the agent or in the archive.
/// </summary>
public sealed class DeliveryAudit
{
    private readonly ConcurrentDictionary<string, ConversationRecord> _conversations = new();

    private sealed class ConversationRecord
    {
        public volatile string? Agent;
        /// <summary>Every agent the customer was told, in the order the assigned frames came.</summary>
        public readonly ConcurrentQueue<string> Told = new();
        /// <summary>seq → client id of every acked customer message.</summary>
        public readonly ConcurrentDictionary<long, string> Acked = new();
        /// <summary>agent → (seq → client id) of the customer messages each agent socket received.</summary>
        public readonly ConcurrentDictionary<string, ConcurrentDictionary<long, string>> Received = new();
        public int RepeatedLive;
        /// <summary>What the conversation's sockets did around drops and holes (see <see cref="Note"/>), the latest kept.</summary>
        public readonly ConcurrentQueue<TrailLine> Trail = new();
    }

    private readonly long _started;

    /// <param name="started">The zero of the trail's seconds (Stopwatch timestamp): now, or a coordinator's start in a worker.</param>
    public DeliveryAudit(long? started = null) => _started = started ?? Stopwatch.GetTimestamp();

    /// <summary>How many trail lines a conversation keeps (the latest).</summary>
    public const int TrailKept = 40;

    private ConversationRecord For(string conversation) => _conversations.GetOrAdd(conversation, _ => new ConversationRecord());

    public IReadOnlyCollection<string> Conversations => (IReadOnlyCollection<string>)_conversations.Keys;

    /// <summary>The customer was told which agent has the conversation.</summary>
    public void Assigned(string conversation, string agent)
    {
        var record = For(conversation);
        record.Agent = agent;
        record.Told.Enqueue(agent);
    }

    /// <summary>The agent the customer was last told of, or null.</summary>
    public string? AgentOf(string conversation) => _conversations.TryGetValue(conversation, out var record) ? record.Agent : null;

    public void Acked(string conversation, long seq, string clientId) => For(conversation).Acked.TryAdd(seq, clientId);

    /// <summary>A customer message on an agent's socket: <paramref name="live"/> as a message frame, else in a conversation frame.</summary>
    public void Received(string agent, string conversation, long seq, string clientId, bool live)
    {
        var record = For(conversation);
        var received = record.Received.GetOrAdd(agent, _ => new ConcurrentDictionary<long, string>());
        if (!received.TryAdd(seq, clientId) && live) Interlocked.Increment(ref record.RepeatedLive);
    }

    /// <summary>
    /// One line of the conversation's trail, stamped with the seconds since the run started: a welcome's entry, a resume
    /// and its answer, a customer's resend or refused post. A lost message's report shows its conversation's trail, so
    /// a run says how a number went missing, not only which.
    /// </summary>
    public void Note(string conversation, string what)
    {
        var trail = For(conversation).Trail;
        trail.Enqueue(new TrailLine(Stopwatch.GetElapsedTime(_started).TotalSeconds, what));
        while (trail.Count > TrailKept) trail.TryDequeue(out _);
    }

    /// <summary>Acked messages not (yet) on their agent's socket.</summary>
    public long Missing()
    {
        long missing = 0;
        foreach (var record in _conversations.Values)
        {
            var received = record.Agent is { } agent && record.Received.TryGetValue(agent, out var r) ? r : null;
            foreach (var seq in record.Acked.Keys) if (received is null || !received.ContainsKey(seq)) missing++;
        }
        return missing;
    }

    /// <summary>Acked messages of this process's customers (a worker's, for its coordinator to wait on).</summary>
    public long AckedCount() => _conversations.Values.Sum(r => (long)r.Acked.Count);

    /// <summary>Customer messages, by conversation and seq, that any agent socket of this process received.</summary>
    public long ReceivedCount() => _conversations.Values.Sum(r => r.Received.Count switch
    {
        0 => 0L,
        1 => r.Received.Values.First().Count,
        _ => r.Received.Values.SelectMany(seqs => seqs.Keys).Distinct().LongCount(),
    });

    /// <summary>Conversations whose customer was last told of <paramref name="agent"/> (its load, as far as the run knows).</summary>
    public int LoadOf(string agent) => _conversations.Values.Count(r => r.Agent == agent);

    /// <summary>Every acked message of the conversation is on its agent's socket.</summary>
    public bool IsDelivered(string conversation) =>
        _conversations.TryGetValue(conversation, out var record) && record.Agent is { } agent && record.Received.TryGetValue(agent, out var received)
        && record.Acked.Keys.All(received.ContainsKey);

    /// <summary>The acked client ids of a conversation by seq, for the archive check.</summary>
    public IReadOnlyDictionary<long, string> AckedIn(string conversation) =>
        _conversations.TryGetValue(conversation, out var record) ? record.Acked : new Dictionary<long, string>();

    public AuditResult Result(ArchiveResult? archive)
    {
        long acked = 0, delivered = 0, doubled = 0, repeatedLive = 0, lostConversations = 0, unassigned = 0;
        var examples = new List<string>();
        foreach (var (id, record) in _conversations)
        {
            acked += record.Acked.Count;
            repeatedLive += record.RepeatedLive;
            if (record.Agent is null) { if (!record.Acked.IsEmpty) unassigned++; continue; }
            if (!record.Received.TryGetValue(record.Agent, out var received)) received = new ConcurrentDictionary<long, string>();
            long here = record.Acked.Keys.Count(received.ContainsKey);
            delivered += here;
            if (here < record.Acked.Count && ++lostConversations <= 5)
            {
                var missing = record.Acked.Keys.Where(seq => !received.ContainsKey(seq)).Order().ToArray();
                var sockets = string.Join("; ", record.Received.Select(r => $"{r.Key} has {Ranges(r.Value.Keys)}"));
                examples.Add($"{id}: told {string.Join(" → ", record.Told)}; acked {Ranges(record.Acked.Keys)}; missing at {record.Agent}: {Ranges(missing)}; {sockets}"
                    + string.Concat(record.Trail.Select(line => $"\n      {line.Seconds:0.0}s {line.What}")));
            }
            doubled += received.Values.GroupBy(id => id).Sum(g => g.Count() - 1);
        }
        return new AuditResult(acked, delivered, acked - delivered, doubled, lostConversations, unassigned, repeatedLive, archive, examples);
    }

    /// <summary>
    /// What this process saw, per conversation, for a coordinator to join with the other workers' (Workers/): the
    /// agents the customer was told of and its acks (from the worker holding the customer), the customer messages
    /// each agent socket of this worker received, the trail.
    /// </summary>
    public IReadOnlyList<AuditConversation> Export() => _conversations.Select(kv => new AuditConversation(kv.Key, kv.Value.Told.ToArray(),
        new Dictionary<long, string>(kv.Value.Acked),
        kv.Value.Received.ToDictionary(r => r.Key, r => new Dictionary<long, string>(r.Value)),
        kv.Value.RepeatedLive, kv.Value.Trail.ToArray())).ToList();

    /// <summary>
    /// One audit of the whole run from the workers' exports: a conversation's acks and the agents it was told of come
    /// from the worker holding its customer, what each agent socket received from the worker holding that agent, so a
    /// message acked in one worker and received in another is delivered, as in a run of one process. The trails are
    /// interleaved by time (every worker counts from the coordinator's start), the latest <see cref="TrailKept"/> kept.
    /// </summary>
    public static DeliveryAudit Join(IEnumerable<IReadOnlyList<AuditConversation>> workers)
    {
        var audit = new DeliveryAudit();
        var trails = new Dictionary<string, List<TrailLine>>();
        foreach (var worker in workers)
            foreach (var c in worker)
            {
                var record = audit.For(c.Id);
                foreach (var agent in c.Told) { record.Told.Enqueue(agent); record.Agent = agent; }
                foreach (var (seq, clientId) in c.Acked) record.Acked.TryAdd(seq, clientId);
                foreach (var (agent, seqs) in c.Received)
                {
                    var received = record.Received.GetOrAdd(agent, _ => new ConcurrentDictionary<long, string>());
                    foreach (var (seq, clientId) in seqs) received.TryAdd(seq, clientId);
                }
                record.RepeatedLive += c.RepeatedLive;
                if (c.Trail.Length > 0)
                {
                    if (!trails.TryGetValue(c.Id, out var lines)) trails[c.Id] = lines = [];
                    lines.AddRange(c.Trail);
                }
            }
        foreach (var (id, lines) in trails)
            foreach (var line in lines.OrderBy(l => l.Seconds).TakeLast(TrailKept)) audit._conversations[id].Trail.Enqueue(line);
        return audit;
    }

    /// <summary>Seqs as ranges: 1-4,7,9-12.</summary>
    public static string Ranges(IEnumerable<long> seqs)
    {
        var sorted = seqs.Order().ToArray();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Length;)
        {
            int j = i;
            while (j + 1 < sorted.Length && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return parts.Count == 0 ? "none" : string.Join(",", parts);
    }
}

/// <summary>A line of a conversation's trail: seconds since the run started, what happened.</summary>
public sealed record TrailLine(double Seconds, string What);

/// <summary>One conversation as one process's audit saw it (<see cref="DeliveryAudit.Export"/>): the file a worker writes.</summary>
/// <param name="Received">agent → (seq → client id) of the customer messages the agent sockets of that process received.</param>
public sealed record AuditConversation(string Id, string[] Told, Dictionary<long, string> Acked, Dictionary<string, Dictionary<long, string>> Received,
    int RepeatedLive, TrailLine[] Trail);

/// <param name="RepeatedLive">Live message frames for a seq the agent's socket already had (allowed: clients keep one per seq).</param>
public sealed record AuditResult(long Acked, long Delivered, long Lost, long Doubled, long ConversationsWithLoss, long Unassigned,
    long RepeatedLive, ArchiveResult? Archive, IReadOnlyList<string> LostExamples)
{
    public bool Passed => Lost == 0 && Doubled == 0 && Archive is not { Lost: > 0 } and not { Doubled: > 0 };
}

/// <param name="Refused">429 answers from the gateway while reading transcripts (waited out and counted, never hidden).</param>
public sealed record ArchiveResult(long Archived, long Lost, long Doubled, long Refused);
