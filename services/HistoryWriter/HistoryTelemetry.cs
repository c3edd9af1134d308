using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CustomerService.HistoryWriter;

/// <summary>Spans and meters of the archive, under the platform's source name (ServiceDefaults exports it).</summary>
internal static class HistoryTelemetry
{
    public static readonly ActivitySource Source = new(Microsoft.Extensions.Hosting.Extensions.ActivitySourceName);
    private static readonly Meter Meter = new(Microsoft.Extensions.Hosting.Extensions.ActivitySourceName);

    public static readonly Counter<long> Archived = Meter.CreateCounter<long>("history.archived", "{message}", "Messages and events stored");
    public static readonly Counter<long> Parked = Meter.CreateCounter<long>("history.parked", "{message}", "Poison messages parked");
    public static readonly Counter<long> StoreRetries =
        Meter.CreateCounter<long>("history.store.retries", "{batch}", "Batches the store could not take and that are tried again");
    public static readonly Histogram<double> BatchDuration =
        Meter.CreateHistogram<double>("history.batch.duration", "ms", "Time to store and acknowledge one batch");
}
