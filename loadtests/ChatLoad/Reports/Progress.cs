using System.Globalization;
using CustomerService.ChatLoad.Profiles;

namespace CustomerService.ChatLoad.Reports;

/// <summary>
/// Live progress while a run plays: every 2 s one plain line (it reads the same in a terminal and in a CI log) with
/// the last full second's rates and latency, the errors so far and the sockets open.
/// </summary>
public sealed class RunProgress(Timeline timeline, TextWriter output)
{
    private const double EverySeconds = 2;
    private double _next = EverySeconds;

    public void Tick(double elapsed, string phase, long sockets, long errors)
    {
        if (elapsed < _next) return;
        _next = elapsed + EverySeconds;
        int last = (int)elapsed - 1;
        if (last < 0 || last >= timeline.Seconds) return;
        var s = timeline.Figures(last + 1, from: last)[0];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  [{elapsed,6:F0}s] {phase,-16} sent/s {s.Sent,6} acked/s {s.Acked,6} p50 {Ms(s.P50Ms),7} p99 {Ms(s.P99Ms),8} ms  errors {errors}  sockets {sockets}"));
    }

    private static string Ms(double v) => double.IsNaN(v) ? "-" : v.ToString("F1", CultureInfo.InvariantCulture);
}
