using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace CustomerService.Session.Tests;

public sealed class PlumbingSpanFilterTests
{
    private static Activity Ended(string source, string name)
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var activitySource = new ActivitySource(source);
        var activity = activitySource.StartActivity(name)!;
        activity.Stop();
        new PlumbingSpanFilter().OnEnd(activity);
        return activity;
    }

    [Theory]
    [InlineData("$JS.ACK publish")]
    [InlineData("inbox receive")]
    [InlineData("_INBOX.abc receive")]
    public void The_NATS_clients_acks_and_inbox_replies_are_not_exported(string name) =>
        Assert.False(Ended("NATS.Net", name).Recorded);

    [Theory]
    [InlineData("NATS.Net", "cs.msg publish")]
    [InlineData("NATS.Net", "cs.msg receive")]
    [InlineData("CustomerService", "inbox receive")]
    public void Every_other_span_stays(string source, string name) => Assert.True(Ended(source, name).Recorded);
}
