using System.Diagnostics;

namespace CustomerService.Session.Sockets;

/// <summary>
/// Every frame a socket sends is a trace of its own (frame → Redis → JetStream → delivery on every replica), linked
/// to the socket's upgrade request rather than nested in it: a socket lives for hours, and one trace per socket
/// would hold thousands of spans and be sampled all or nothing.
/// </summary>
internal static class FrameTracing
{
    private static readonly ActivitySource Source = new(Microsoft.Extensions.Hosting.Extensions.ActivitySourceName);

    /// <summary>Starts the frame's span as a new root; call it in the async method that handles the frame, so the
    /// change of <see cref="Activity.Current"/> stays in that method's flow.</summary>
    public static Activity? Start(string frameType, ActivityContext socket, ClientConnection connection)
    {
        Activity.Current = null;
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity(SpanName(frameType), ActivityKind.Server, parentContext: default);
        // An unsampled frame still gets an activity (it carries "not sampled" to JetStream and the deliveries), but
        // no link and no tags: nobody reads them, and they were allocations on every frame (docs/performance.md).
        if (activity is { IsAllDataRequested: true })
        {
            if (socket != default) activity.AddLink(new ActivityLink(socket));
            activity.SetTag("cs.tenant", connection.Identity.Tenant);
            activity.SetTag("cs.role", connection.Identity.Role);
        }
        return activity;
    }

    /// <summary>Span names stay a small fixed set whatever type a client sends, and cost no allocation per frame.</summary>
    private static readonly Dictionary<string, string> SpanNames = new[]
    {
        Protocol.FrameTypes.Hello, Protocol.FrameTypes.Resume, Protocol.FrameTypes.Message, Protocol.FrameTypes.Typing,
        Protocol.FrameTypes.Read, Protocol.FrameTypes.Ping, Protocol.FrameTypes.Presence, Protocol.FrameTypes.Transfer,
        Protocol.FrameTypes.End, Protocol.FrameTypes.Ticket,
    }.ToDictionary(type => type, type => "frame " + type);

    private static string SpanName(string frameType) => SpanNames.GetValueOrDefault(frameType, "frame (unknown type)");
}
