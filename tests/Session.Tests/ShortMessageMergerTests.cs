using CustomerService.Contracts;
using CustomerService.Session.Messaging;

namespace CustomerService.Session.Tests;

public sealed class ShortMessageMergerTests
{
    private sealed class ManualTime : TimeProvider
    {
        private readonly List<(DateTimeOffset Due, TimerCallback Callback, object? State)> _timers = [];
        public DateTimeOffset Now { get; private set; } = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var entry = (Now + dueTime, callback, state);
            _timers.Add(entry);
            return new Handle(() => _timers.Remove(entry));
        }

        public void Advance(TimeSpan by)
        {
            Now += by;
            foreach (var due in _timers.Where(t => t.Due <= Now).ToList())
            {
                _timers.Remove(due);
                due.Callback(due.State);
            }
        }

        private sealed class Handle(Action dispose) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;
            public void Dispose() => dispose();
            public ValueTask DisposeAsync() { dispose(); return ValueTask.CompletedTask; }
        }
    }

    private static ChatMessage Customer(long seq, string text) => new()
    {
        Seq = seq, Text = text, MessageId = $"m{seq}", Sender = new Participant { Kind = ParticipantKind.Customer, Id = "v1" },
    };

    private readonly ManualTime _time = new();
    private readonly List<ChatMessage> _delivered = [];

    private void Offer(ShortMessageMerger merger, ChatMessage m) => merger.Offer("t/c", m, _delivered.Add);

    [Fact]
    public void A_burst_of_short_messages_reaches_the_agent_as_one_after_the_window()
    {
        var merger = new ShortMessageMerger(_time);
        Offer(merger, Customer(1, "你好"));
        Offer(merger, Customer(2, "在吗"));
        Offer(merger, Customer(3, "my order 1234"));
        Assert.Empty(_delivered);

        _time.Advance(MergePolicy.Window);
        var merged = Assert.Single(_delivered);
        Assert.Equal("你好\n在吗\nmy order 1234", merged.Text);
        Assert.Equal(3, merged.Seq);
        Assert.Equal("1,2,3", merged.Metadata["merged.seqs"]);
    }

    [Fact]
    public void A_complaint_is_never_merged_and_keeps_its_place_in_order()
    {
        var merger = new ShortMessageMerger(_time);
        Offer(merger, Customer(1, "hi"));
        Offer(merger, Customer(2, "我要投诉"));
        Assert.Equal(["hi", "我要投诉"], _delivered.Select(m => m.Text));
        Assert.False(_delivered[1].Metadata.ContainsKey("merged.seqs"));
    }

    [Fact]
    public void A_change_of_topic_starts_a_new_burst()
    {
        var merger = new ShortMessageMerger(_time);
        Offer(merger, Customer(1, "where is my parcel"));
        Offer(merger, Customer(2, "by the way, invoice?"));
        Assert.Equal(["where is my parcel"], _delivered.Select(m => m.Text));
        _time.Advance(MergePolicy.Window);
        Assert.Equal(["where is my parcel", "by the way, invoice?"], _delivered.Select(m => m.Text));
    }

    [Fact]
    public void Long_messages_go_alone_and_an_agent_reply_flushes_the_burst()
    {
        var merger = new ShortMessageMerger(_time);
        Offer(merger, Customer(1, "ok"));
        Offer(merger, Customer(2, new string('x', MergePolicy.MaxShortLength + 1)));
        Assert.Equal(2, _delivered.Count);
        Offer(merger, Customer(3, "thanks"));
        merger.Flush("t/c", _delivered.Add);
        Assert.Equal("thanks", _delivered[^1].Text);
    }

    [Fact]
    public void A_burst_is_capped()
    {
        var merger = new ShortMessageMerger(_time);
        for (int i = 1; i <= MergePolicy.MaxMerged + 1; i++) Offer(merger, Customer(i, $"m{i}"));
        var first = Assert.Single(_delivered);
        Assert.Equal(MergePolicy.MaxMerged, first.Text.Split('\n').Length);
    }
}
