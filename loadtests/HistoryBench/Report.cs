using HdrHistogram;
using Spectre.Console;

namespace CustomerService.HistoryBench;

internal static class Report
{
    public static LongHistogram Histogram() => new(TimeSpan.FromMinutes(10).Ticks, 3);

    public static void Latencies(string title, params (string Name, LongHistogram Histogram, string Target)[] rows)
    {
        var table = new Table().Title(title).AddColumns("measure", "count", "p50 ms", "p99 ms", "max ms", "target");
        foreach (var (name, h, target) in rows)
            table.AddRow(name, h.TotalCount.ToString("N0"), Ms(h.GetValueAtPercentile(50)), Ms(h.GetValueAtPercentile(99)), Ms(h.GetMaxValue()), target);
        AnsiConsole.Write(table);
    }

    private static string Ms(long ticks) => (ticks / (double)TimeSpan.TicksPerMillisecond).ToString("F1");
}
