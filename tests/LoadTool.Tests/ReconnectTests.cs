using CustomerService.ChatLoad;
using Microsoft.Extensions.Time.Testing;

namespace CustomerService.LoadTool.Tests;

/// <summary>The pieces of the customers' and agents' reconnect that need no platform: backoff, outbox, resume's lastSeq.</summary>
public class ReconnectTests
{
    [Theory]
    [InlineData(0, 0.5, 100)]
    [InlineData(1, 0.5, 200)]
    [InlineData(3, 0.5, 800)]
    [InlineData(6, 0.5, 5000)]   // capped
    [InlineData(40, 0.5, 5000)]  // no overflow
    [InlineData(0, 0.0, 50)]     // jitter 0.5x
    [InlineData(6, 0.999, 4995)] // up to 1.5x of the cap
    public void Backoff_doubles_from_100_ms_up_to_5_s_with_jitter(int attempt, double jitter, double expectedMs)
    {
        var expected = expectedMs == 4995 ? 5000 * 1.499 : expectedMs;
        Assert.Equal(expected, Backoff.Delay(attempt, jitter).TotalMilliseconds, 0);
    }

    [Fact]
    public void An_ack_takes_a_message_out_once_so_the_duplicate_ack_of_a_resend_is_not_counted_again()
    {
        var outbox = new Outbox();
        outbox.Add("1-0", "frame0", 0);
        outbox.Add("1-1", "frame1", 2);
        Assert.Equal(2, outbox.Count);

        var first = outbox.Acked("1-0");
        Assert.NotNull(first);
        Assert.Equal(0, first.Phase);
        Assert.Null(outbox.Acked("1-0")); // ack duplicate=true of the resend
        Assert.Null(outbox.Acked("unknown"));
        Assert.Equal(["1-1"], outbox.Pending().Select(e => e.ClientId));
    }

    [Fact]
    public void Pending_messages_are_sent_again_in_the_order_first_sent_with_the_same_frame()
    {
        var outbox = new Outbox();
        for (int i = 0; i < 20; i++) outbox.Add($"7-{i}", $$"""{"type":"message","clientId":"7-{{i}}"}""", 1);
        outbox.Acked("7-3");
        Assert.NotNull(outbox.GiveUp("7-5"));
        var pending = outbox.Pending();
        Assert.Equal(18, pending.Count);
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i is not 3 and not 5).Select(i => $"7-{i}"), pending.Select(e => e.ClientId));
        Assert.All(pending, e => Assert.Contains($"\"clientId\":\"{e.ClientId}\"", e.Frame));
    }

    [Fact]
    public void LastSeq_is_the_highest_seq_with_everything_below_seen_in_any_order()
    {
        var seen = new SeqTracker();
        Assert.Equal(0, seen.LastSeq("c"));
        seen.Seen("c", 1);
        seen.Seen("c", 2);
        seen.Seen("c", 4);
        seen.Seen("c", 5);
        Assert.Equal(2, seen.LastSeq("c")); // 3 missed: resume from 2 brings 3, 4, 5
        seen.Seen("c", 3);
        Assert.Equal(5, seen.LastSeq("c"));
        seen.Seen("c", 2); // a snapshot repeating what was live
        Assert.Equal(5, seen.LastSeq("c"));
        Assert.Equal(0, seen.LastSeq("other"));
    }

    [Fact]
    public void A_snapshot_out_of_order_closes_the_holes()
    {
        var seen = new SeqTracker();
        foreach (var seq in new long[] { 9, 7, 8, 3, 1, 2, 5, 4, 6 }) seen.Seen("c", seq);
        Assert.Equal(9, seen.LastSeq("c"));
        Assert.Empty(seen.Gaps(TimeSpan.Zero));
    }

    [Fact]
    public void A_hole_is_a_gap_to_resume_only_once_it_stayed_open_and_then_again_only_after_as_long()
    {
        var time = new FakeTimeProvider();
        var seen = new SeqTracker(time);
        seen.Seen("a", 1);
        seen.Seen("a", 3);
        seen.Seen("b", 1);
        Assert.Empty(seen.Gaps(TimeSpan.FromSeconds(2)));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([("a", 1L)], seen.Gaps(TimeSpan.FromSeconds(2)));
        Assert.Empty(seen.Gaps(TimeSpan.FromSeconds(2))); // its resume is on its way
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([("a", 1L)], seen.Gaps(TimeSpan.FromSeconds(2)));
        seen.Seen("a", 2); // the resume's answer
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(seen.Gaps(TimeSpan.FromSeconds(2)));
        Assert.Equal(3, seen.LastSeq("a"));
    }

    [Fact]
    public void A_resume_answer_without_a_number_settles_it_as_void_and_the_hole_is_not_resumed_again()
    {
        var time = new FakeTimeProvider();
        var seen = new SeqTracker(time);
        foreach (var seq in new long[] { 1, 2, 4, 5 }) seen.Seen("a", seq); // 3: taken by a post that never stored
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([("a", 2L)], seen.Gaps(TimeSpan.FromSeconds(2)));
        seen.Seen("a", 4); // the answer to the resume from 2: 4 and 5, no 3, lastSeq 5
        seen.Seen("a", 5);
        seen.Settled("a", fromSeq: 2, lastSeq: 5);
        Assert.Equal(5, seen.LastSeq("a"));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(seen.Gaps(TimeSpan.FromSeconds(2)));

        // An answer to a resume from further on says nothing of what lies before it.
        foreach (var seq in new long[] { 1, 3 }) seen.Seen("b", seq);
        seen.Settled("b", fromSeq: 2, lastSeq: 3);
        Assert.Equal(1, seen.LastSeq("b"));
    }

    [Fact]
    public void A_conversation_forgotten_is_resumed_from_zero()
    {
        var seen = new SeqTracker();
        seen.Seen("c", 1);
        Assert.Equal(["c"], seen.Conversations());
        seen.Forget("c");
        Assert.Empty(seen.Conversations());
        Assert.Equal(0, seen.LastSeq("c"));
    }

    [Fact]
    public void The_audit_counts_a_message_acked_twice_under_one_seq_once_and_takes_the_resume_snapshot_as_delivered()
    {
        var audit = new DeliveryAudit();
        audit.Assigned("c", "agent");
        Assert.Equal("agent", audit.AgentOf("c"));
        audit.Acked("c", 1, "0-open");
        audit.Acked("c", 2, "0-0");
        audit.Acked("c", 2, "0-0"); // the resend's ack, duplicate=true
        audit.Received("agent", "c", 1, "0-open", live: true);
        audit.Received("agent", "c", 2, "0-0", live: false); // came in the resume's conversation frame
        var result = audit.Result(null);
        Assert.Equal(2, result.Acked);
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Doubled);
        Assert.Null(audit.AgentOf("unknown"));
    }

    [Fact]
    public void A_lost_messages_report_line_carries_its_conversations_latest_trail_lines()
    {
        var audit = new DeliveryAudit();
        audit.Assigned("c", "agent");
        audit.Acked("c", 1, "0-0");
        audit.Acked("c", 2, "0-1");
        audit.Received("agent", "c", 1, "0-0", live: true);
        for (int i = 0; i < DeliveryAudit.TrailKept + 5; i++) audit.Note("c", $"event {i}");
        audit.Note("other", "not this conversation's");

        var line = Assert.Single(audit.Result(null).LostExamples);
        var trail = line.Split('\n').Skip(1).Select(l => l.Trim()).ToList();
        Assert.Equal(DeliveryAudit.TrailKept, trail.Count);
        Assert.Matches(@"^\d+\.\ds event 5$", trail[0]);
        Assert.EndsWith($"event {DeliveryAudit.TrailKept + 4}", trail[^1]);
        Assert.DoesNotContain("not this conversation's", line);
        Assert.Contains("missing at agent: 2", line);
    }
}
