using System.Diagnostics;
using System.Net.WebSockets;
using CustomerService.Session.Sockets;

namespace CustomerService.Session.Tests;

/// <summary>A frame's span: linked to its socket and tagged when sampled; bare (no link, no tags) when not.</summary>
[Collection(nameof(FrameTracingTests))]
public sealed class FrameTracingTests
{
    private static Activity? StartFrame(ActivitySamplingResult decision)
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Microsoft.Extensions.Hosting.Extensions.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => decision,
        };
        ActivitySource.AddActivityListener(listener);
        var socket = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var connection = new ClientConnection(WebSocket.CreateFromStream(new MemoryStream(), isServer: true, subProtocol: null, TimeSpan.Zero),
            new Identity("t1", "v-1", "visitor", "V", []), 8);
        var activity = FrameTracing.Start("message", socket, connection);
        activity?.Stop();
        return activity;
    }

    [Fact]
    public void A_sampled_frame_is_linked_to_its_socket_and_tagged()
    {
        var activity = StartFrame(ActivitySamplingResult.AllDataAndRecorded)!;
        Assert.Equal("frame message", activity.DisplayName);
        Assert.Single(activity.Links);
        Assert.Equal("t1", activity.GetTagItem("cs.tenant"));
        Assert.Equal("visitor", activity.GetTagItem("cs.role"));
    }

    [Fact]
    public void An_unsampled_frame_carries_its_context_but_nothing_else()
    {
        var activity = StartFrame(ActivitySamplingResult.PropagationData)!;
        Assert.NotEqual(default, activity.TraceId);
        Assert.Empty(activity.Links);
        Assert.Empty(activity.TagObjects);
    }
}

/// <summary>
/// Alone: the test's listener decides the sampling of the platform's ActivitySource, and an in-process Session of
/// another test (its OpenTelemetry listener samples everything) would overrule it.
/// </summary>
[CollectionDefinition(nameof(FrameTracingTests), DisableParallelization = true)]
public sealed class FrameTracingCollection;
