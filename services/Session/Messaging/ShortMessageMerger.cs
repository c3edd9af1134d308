using System.Collections.Concurrent;
using CustomerService.Contracts;

namespace CustomerService.Session.Messaging;

/// <summary>
/// Which customer messages may be merged into one for the agent (feature flag <c>merge_short_messages</c>, off by
/// default). The reference system learned that merging blindly mixes a complaint into an ordinary question: a
/// message with a complaint word, or one that opens a new topic, is never merged with what came before.
/// </summary>
public static class MergePolicy
{
    public const int MaxShortLength = 30;
    public const int MaxMerged = 5;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private static readonly string[] ComplaintWords =
        ["投诉", "举报", "差评", "骗", "退款", "赔偿", "complain", "complaint", "refund", "fraud", "scam", "lawyer", "unacceptable"];

    private static readonly string[] NewTopicOpeners =
        ["另外", "还有", "顺便", "换个问题", "另一个问题", "by the way", "btw", "also,", "another question", "one more thing", "separately"];

    public static bool IsShort(string text) => text.Length <= MaxShortLength;

    public static bool IsComplaint(string text) => ContainsAny(text, ComplaintWords);

    public static bool OpensNewTopic(string text)
    {
        var trimmed = text.TrimStart();
        foreach (var opener in NewTopicOpeners)
            if (trimmed.StartsWith(opener, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Whether <paramref name="next"/> may join the burst so far (all of it short, same topic, no complaint).</summary>
    public static bool CanJoin(IReadOnlyList<ChatMessage> burst, ChatMessage next, DateTimeOffset now, DateTimeOffset burstStarted)
    {
        if (burst.Count == 0) return IsMergeable(next);
        return burst.Count < MaxMerged && IsMergeable(next) && !OpensNewTopic(next.Text) && now - burstStarted <= Window;
    }

    public static bool IsMergeable(ChatMessage message) =>
        message.Sender.Kind == ParticipantKind.Customer && IsShort(message.Text) && !IsComplaint(message.Text);

    /// <summary>One message standing for the burst: the last one's seq and id, the texts on lines, the merged seqs in metadata.</summary>
    public static ChatMessage Merge(IReadOnlyList<ChatMessage> burst)
    {
        if (burst.Count == 1) return burst[0];
        var merged = burst[^1].Clone();
        merged.Text = string.Join("\n", burst.Select(m => m.Text));
        merged.Metadata["merged.seqs"] = string.Join(",", burst.Select(m => m.Seq));
        return merged;
    }

    private static bool ContainsAny(string text, string[] words)
    {
        foreach (var word in words)
            if (text.Contains(word, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}

/// <summary>
/// Holds a conversation's burst of short customer messages for the agents on this replica for up to
/// <see cref="MergePolicy.Window"/>, then delivers it as one message. Anything that may not be merged flushes
/// the burst first and goes on alone, so order is kept.
/// </summary>
public sealed class ShortMessageMerger(TimeProvider time)
{
    private sealed class Burst
    {
        public readonly List<ChatMessage> Messages = [];
        public DateTimeOffset Started;
        public ITimer? Timer;
    }

    private readonly ConcurrentDictionary<string, Burst> _bursts = new();

    /// <summary>Takes a customer message for the agents; <paramref name="deliver"/> is called with what to show, now or later.</summary>
    public void Offer(string key, ChatMessage message, Action<ChatMessage> deliver)
    {
        var burst = _bursts.GetOrAdd(key, _ => new Burst());
        lock (burst)
        {
            var now = time.GetUtcNow();
            if (!MergePolicy.CanJoin(burst.Messages, message, now, burst.Started))
            {
                FlushLocked(key, burst, deliver);
                if (!MergePolicy.IsMergeable(message))
                {
                    deliver(message);
                    return;
                }
            }
            if (burst.Messages.Count == 0)
            {
                burst.Started = now;
                burst.Timer = time.CreateTimer(_ => { lock (burst) FlushLocked(key, burst, deliver); }, null, MergePolicy.Window, Timeout.InfiniteTimeSpan);
            }
            burst.Messages.Add(message);
        }
    }

    /// <summary>Delivers what is held for a conversation at once (an agent message answers the burst).</summary>
    public void Flush(string key, Action<ChatMessage> deliver)
    {
        if (_bursts.TryGetValue(key, out var burst)) lock (burst) FlushLocked(key, burst, deliver);
    }

    private void FlushLocked(string key, Burst burst, Action<ChatMessage> deliver)
    {
        burst.Timer?.Dispose();
        burst.Timer = null;
        if (burst.Messages.Count == 0) return;
        var merged = MergePolicy.Merge(burst.Messages);
        burst.Messages.Clear();
        _bursts.TryRemove(new KeyValuePair<string, Burst>(key, burst));
        deliver(merged);
    }
}
