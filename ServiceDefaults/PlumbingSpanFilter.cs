using System.Diagnostics;
using OpenTelemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Keeps the NATS client's plumbing spans out of the exported traces: the JetStream acknowledgement a consumer
/// publishes for every message (<c>$JS.ACK publish</c>) and the reply to a request arriving on its inbox
/// (<c>inbox receive</c>). They were a quarter of all spans the dashboard stored under chat load, told nothing the
/// consumer's and the request's own spans do not (docs/performance.md), and the dashboard's SQLite store pays for
/// every span. Runs before the exporter: a span it unmarks as recorded is not exported.
/// </summary>
public sealed class PlumbingSpanFilter : BaseProcessor<Activity>
{
    private const string NatsSource = "NATS.Net";

    public static bool IsPlumbing(Activity activity) =>
        activity.Source.Name == NatsSource
        && (activity.DisplayName.StartsWith("$JS.ACK ", StringComparison.Ordinal)
            || activity.DisplayName.StartsWith("inbox ", StringComparison.Ordinal)
            || activity.DisplayName.StartsWith("_INBOX.", StringComparison.Ordinal));

    public override void OnEnd(Activity activity)
    {
        if (activity.Recorded && IsPlumbing(activity)) activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
    }
}
