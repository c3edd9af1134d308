using System.Collections.Concurrent;

namespace CustomerService.ChatLoad;

/// <summary>
/// How long a customer or agent waits before it opens its socket again after a drop (or a refused attempt): 100 ms
/// doubled at every failed attempt up to 5 s, times a jitter of 0.5–1.5 so that a thousand sockets closed at once
/// (a kill -9 of session or gateway) do not all come back in the same millisecond.
/// </summary>
public static class Backoff
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(100), Longest = TimeSpan.FromSeconds(5);

    /// <param name="attempt">0 for the first attempt after a drop.</param>
    /// <param name="jitter">In [0, 1): Random.Shared.NextDouble() in a run, fixed in tests.</param>
    public static TimeSpan Delay(int attempt, double jitter)
    {
        var ms = Math.Min(Longest.TotalMilliseconds, First.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 30)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + Math.Clamp(jitter, 0, 1)));
    }
}

/// <summary>
/// A customer's messages sent and not yet acked, by clientId, as the widget keeps them (docs/pages.md): after a
/// reconnect every one is sent again with the same clientId (the server answers <c>duplicate: true</c> for one it
/// had stored, and stores nothing twice). An ack takes a message out once: a second ack of the same clientId
/// (the resend's duplicate, or the first ack arriving late) finds nothing and is not counted again.
/// </summary>
public sealed class Outbox
{
    /// <param name="Frame">The message frame exactly as sent (same clientId, same text).</param>
    /// <param name="Phase">The phase it was sent in, -1 for the message that opens the conversation.</param>
    public sealed record Entry(string ClientId, string Frame, int Phase, long Order);

    private readonly ConcurrentDictionary<string, Entry> _pending = new();
    private long _order;

    public Entry Add(string clientId, string frame, int phase)
    {
        var entry = new Entry(clientId, frame, phase, Interlocked.Increment(ref _order));
        _pending[clientId] = entry;
        return entry;
    }

    /// <summary>The first ack of <paramref name="clientId"/>: its entry; a later one, or an unknown clientId: null.</summary>
    public Entry? Acked(string clientId) => _pending.TryRemove(clientId, out var entry) ? entry : null;

    /// <summary>A message refused for good (invalid, conversation ended): out of the outbox, like an ack, but not acked.</summary>
    public Entry? GiveUp(string clientId) => Acked(clientId);

    public Entry? Find(string clientId) => _pending.GetValueOrDefault(clientId);

    public int Count => _pending.Count;

    /// <summary>What to send again after a reconnect, in the order it was first sent.</summary>
    public IReadOnlyList<Entry> Pending() => _pending.Values.OrderBy(e => e.Order).ToList();
}

/// <summary>
/// The seqs a socket's owner has seen, per conversation: <see cref="LastSeq"/>, the highest seq with every seq
/// from 1 up to it seen, is the <c>lastSeq</c> of a <c>resume</c> after a reconnect (the answer brings everything
/// after it: whatever was delivered while the socket was away). A seq seen above a hole means a message missed
/// while the socket stayed open; <see cref="Gaps"/> lists conversations whose hole is older than a moment
/// (snapshot and live frames may come in either order, so a hole of a few milliseconds is normal).
/// </summary>
public sealed class SeqTracker(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, State> _conversations = new();

    private sealed class State
    {
        public long Contiguous;
        public readonly SortedSet<long> Above = [];
        public DateTimeOffset? HoleSince;
    }

    public void Seen(string conversation, long seq)
    {
        lock (_conversations)
        {
            if (!_conversations.TryGetValue(conversation, out var s)) _conversations[conversation] = s = new State();
            if (seq <= s.Contiguous) return;
            if (seq == s.Contiguous + 1)
            {
                s.Contiguous = seq;
                while (s.Above.Count > 0 && s.Above.Min <= s.Contiguous + 1)
                {
                    s.Contiguous = Math.Max(s.Contiguous, s.Above.Min);
                    s.Above.Remove(s.Above.Min);
                }
            }
            else s.Above.Add(seq);
            s.HoleSince = s.Above.Count == 0 ? null : s.HoleSince ?? _time.GetUtcNow();
        }
    }

    /// <summary>
    /// The answer to a resume from <paramref name="fromSeq"/> holds every message after it up to
    /// <paramref name="lastSeq"/> (docs/protocol.md): a number in between that it did not bring carries no message
    /// (void: taken by a post that was refused or never stored), so it is no hole to resume for again.
    /// </summary>
    public void Settled(string conversation, long fromSeq, long lastSeq)
    {
        lock (_conversations)
        {
            if (!_conversations.TryGetValue(conversation, out var s) || s.Contiguous < fromSeq || lastSeq <= s.Contiguous) return;
            s.Contiguous = lastSeq;
            while (s.Above.Count > 0 && s.Above.Min <= s.Contiguous + 1)
            {
                s.Contiguous = Math.Max(s.Contiguous, s.Above.Min);
                s.Above.Remove(s.Above.Min);
            }
            if (s.Above.Count == 0) s.HoleSince = null;
        }
    }

    /// <summary>0 for a conversation never seen (a resume from 0 brings all of it).</summary>
    public long LastSeq(string conversation)
    {
        lock (_conversations) return _conversations.TryGetValue(conversation, out var s) ? s.Contiguous : 0;
    }

    public IReadOnlyList<string> Conversations()
    {
        lock (_conversations) return _conversations.Keys.ToList();
    }

    public void Forget(string conversation)
    {
        lock (_conversations) _conversations.Remove(conversation);
    }

    /// <summary>
    /// Conversations with a hole open for at least <paramref name="olderThan"/>, with the lastSeq to resume from;
    /// each is reported again only after another <paramref name="olderThan"/> (its resume is on its way).
    /// </summary>
    public IReadOnlyList<(string Conversation, long LastSeq)> Gaps(TimeSpan olderThan)
    {
        var now = _time.GetUtcNow();
        var gaps = new List<(string, long)>();
        lock (_conversations)
            foreach (var (id, s) in _conversations)
                if (s.HoleSince is { } since && now - since >= olderThan)
                {
                    gaps.Add((id, s.Contiguous));
                    s.HoleSince = now;
                }
        return gaps;
    }
}
