using System.Globalization;
using System.Net;
using System.Text;
using CustomerService.ChatLoad.Profiles;

namespace CustomerService.ChatLoad.Reports;

/// <summary>
/// The run as one self-contained HTML page (inline CSS and SVG, nothing fetched): the verdict, the figures, the
/// thresholds, charts of throughput, latency and errors per second with the phases and drills marked on each, and
/// the per-phase and per-process tables.
/// </summary>
public static class HtmlReport
{
    private const int Width = 960, Height = 250, Left = 60, Right = 16, Top = 28, Bottom = 32;

    private static string E(object? text) => WebUtility.HtmlEncode(Convert.ToString(text, CultureInfo.InvariantCulture) ?? "");
    private static string N(double v, string format = "F1") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

    public static string Render(LoadReport report)
    {
        var run = report.RunFigures();
        var profile = report.Options.Profile;
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Load run {{E(profile.Name)}} {{report.StartedAt:yyyy-MM-dd HH:mm}}</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
            table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}
            td:first-child,th:first-child{text-align:left}.pass{color:#17803d;font-weight:600}.fail{color:#c0262d;font-weight:600}
            svg{background:#fcfcfc;border:1px solid #ddd;margin:4px 0 16px}.muted{color:#777}
            </style></head><body>
            <h1>Load run: {{E(profile.Name)}}</h1>
            <p class="muted">{{E(profile.Description)}}<br>started {{report.StartedAt:yyyy-MM-dd HH:mm:ss}} UTC, {{N(report.Elapsed.TotalSeconds, "F0")}} s of phases, {{profile.Customers}} customers, {{profile.Agents}} agents, window {{profile.Window}}, rate scale {{N(report.Options.RateScale, "G")}}, {{Environment.ProcessorCount}} cores</p>
            <p class="{{(report.Passed ? "pass" : "fail")}}">{{(report.Passed ? "PASSED" : "FAILED")}}</p>
            <table><tr><th>figure</th><th>value</th></tr>
            <tr><td>messages/s (acked, durable)</td><td>{{N(run["msg_per_s"], "F0")}}</td></tr>
            <tr><td>end-to-end p50 / p95 / p99 / max ms</td><td>{{N(run["e2e_p50_ms"], "F2")}} / {{N(run["e2e_p95_ms"], "F2")}} / {{N(run["e2e_p99_ms"], "F2")}} / {{N(run["e2e_max_ms"], "F2")}}</td></tr>
            <tr><td>sent / acked / errors / dropped</td><td>{{run["sent"]}} / {{run["acked"]}} / {{run["errors"]}} / {{run["dropped"]}}</td></tr>
            <tr><td>audit: delivered / lost / doubled</td><td class="{{(report.Audit.Passed ? "pass" : "fail")}}">{{report.Audit.Delivered}} / {{report.Audit.Lost}} / {{report.Audit.Doubled}}</td></tr>
            <tr><td>archive: archived / lost / doubled</td><td>{{(report.Audit.Archive is { } a ? $"{a.Archived} / {a.Lost} / {a.Doubled}" : "not checked")}}</td></tr>
            <tr><td>peak sockets / 429 refusals / rate_limited frames</td><td>{{report.Sockets.Peak}} / {{report.Sockets.Refused429 + (report.Audit.Archive?.Refused ?? 0)}} / {{report.Sockets.RateLimited}}</td></tr>
            </table>
            """);
        html.Append("<h2>Thresholds</h2><table><tr><th>threshold</th><th>actual</th><th>result</th></tr>");
        foreach (var t in report.Thresholds())
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(t.Threshold.Text)}</td><td>{N(t.Actual, "G4")}</td><td class=\"{(t.Passed ? "pass" : "fail")}\">{(t.Passed ? "passed" : "FAILED")}</td></tr>");
        html.Append("</table>");

        var seconds = report.Timeline.Select(s => (double)s.Second).ToList();
        html.Append("<h2>Throughput</h2>").Append(Chart(report, "messages per second",
            [("sent/s", "#1f77b4", report.Timeline.Select(s => (double)s.Sent).ToList()), ("acked/s", "#2ca02c", report.Timeline.Select(s => (double)s.Acked).ToList())]));
        html.Append("<h2>Latency</h2>").Append(Chart(report, "customer→agent ms",
            [("p50", "#9467bd", report.Timeline.Select(s => s.P50Ms).ToList()), ("p99", "#d62728", report.Timeline.Select(s => s.P99Ms).ToList())]));
        html.Append("<h2>Errors</h2>").Append(Chart(report, "errors per second", [("errors/s", "#c0262d", report.Timeline.Select(s => (double)s.Errors).ToList())]));

        if (report.Marks.Any(m => m.Kind != "phase"))
        {
            html.Append("<h2>Drills and events</h2><table><tr><th>what</th><th>at s</th><th>recovered in s</th><th>outcome</th></tr>");
            foreach (var m in report.Marks.Where(m => m.Kind != "phase"))
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(m.Kind)}: {E(m.Label)}</td><td>{N(m.AtSeconds)}</td><td>{(m.RecoverySeconds is { } r ? N(r) : "–")}</td><td>{E(m.Outcome)}</td></tr>");
            html.Append("</table>");
        }

        html.Append("<h2>Scenarios</h2><table><tr><th>scenario / step</th><th>count</th><th>errors</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th></tr>");
        foreach (var s in report.ScenarioList())
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th colspan=\"6\" style=\"text-align:left\">{E(s.Name)} ({(s.Latency is null ? "staff" : $"{s.Users} customers, sent {s.Sent}, acked {s.Acked}")})</th></tr>");
            foreach (var r in LoadReport.Rows(s))
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(r.Name)}</td><td>{r.Count}</td><td class=\"{(r.Errors > 0 ? "fail" : "")}\">{r.Errors}</td><td>{N(r.P50)}</td><td>{N(r.P99)}</td><td>{N(r.Max)}</td></tr>");
        }
        html.Append("</table>");

        html.Append("<h2>Phases</h2><table><tr><th>phase</th><th>model</th><th>s</th><th>acked/s</th><th>sent</th><th>acked</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>errors</th><th>dropped</th></tr>");
        foreach (var p in report.Phases)
        {
            var f = report.PhaseFigures(p);
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(p.Phase.Name)}</td><td>{E(p.Phase.ModelName)}</td><td>{N(p.Elapsed.TotalSeconds, "F0")}</td><td>{N(f["msg_per_s"], "F0")}</td><td>{p.Sent}</td><td>{p.Acked}</td><td>{N(f["e2e_p50_ms"])}</td><td>{N(f["e2e_p99_ms"])}</td><td>{N(f["e2e_max_ms"])}</td><td>{p.Errors}</td><td>{p.Dropped}</td></tr>");
        }
        html.Append("</table>");
        if (report.Processes.Count > 0)
        {
            html.Append("<h2>CPU and memory per process</h2><p class=\"muted\">100% = one core; µs of CPU per acked message; the load tool's own line included.</p><table><tr><th>process</th><th>n</th><th>CPU %</th><th>µs/msg</th><th>RSS MB</th></tr>");
            foreach (var p in report.Processes.Where(p => p.CpuPercent >= 0.5 || p.Name == PlatformProcesses.LoadTool))
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(p.Name)}</td><td>{p.Processes}</td><td>{N(p.CpuPercent)}</td><td>{N(p.CpuMicrosPerMessage, "F0")}</td><td>{N(p.RssBytes / 1048576.0, "F0")}</td></tr>");
            html.Append("</table>");
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>One SVG line chart over the run's seconds, phases and drills as vertical lines with their labels.</summary>
    public static string Chart(LoadReport report, string yLabel, IReadOnlyList<(string Name, string Color, IReadOnlyList<double> Values)> series)
    {
        int count = Math.Max(1, report.Timeline.Count);
        double max = series.SelectMany(s => s.Values).Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Max();
        double top = NiceCeiling(max);
        double X(double second) => Left + (Width - Left - Right) * second / count;
        double Y(double v) => Top + (Height - Top - Bottom) * (1 - v / top);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{E(yLabel)}\">");
        for (int i = 0; i <= 4; i++)
        {
            double v = top * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v):F1}\" y2=\"{Y(v):F1}\" stroke=\"#eee\"/><text x=\"{Left - 4}\" y=\"{Y(v) + 4:F1}\" font-size=\"10\" text-anchor=\"end\">{N(v, "G4")}</text>");
        }
        int step = Math.Max(1, (int)NiceCeiling(count / 10.0));
        for (int s = 0; s <= count; s += step)
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(s):F1}\" y=\"{Height - Bottom + 14}\" font-size=\"10\" text-anchor=\"middle\">{s}s</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"14\" font-size=\"11\" fill=\"#555\">{E(yLabel)}</text>");
        foreach (var mark in report.Marks)
        {
            bool drill = mark.Kind != "phase";
            var color = drill ? "#e6550d" : "#999";
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(mark.AtSeconds):F1}\" x2=\"{X(mark.AtSeconds):F1}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"{color}\" stroke-dasharray=\"{(drill ? "2,2" : "4,3")}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(mark.AtSeconds) + 3:F1}\" y=\"{Top + (drill ? 24 : 12)}\" font-size=\"10\" fill=\"{color}\">{E(mark.Label)}</text>");
            if (drill && mark.RecoverySeconds is { } r)
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(mark.AtSeconds):F1}\" y=\"{Height - Bottom - 6}\" width=\"{Math.Max(1, X(mark.AtSeconds + r) - X(mark.AtSeconds)):F1}\" height=\"6\" fill=\"{color}\" opacity=\"0.5\"><title>recovered in {N(r)} s</title></rect>");
        }
        int legend = 0;
        foreach (var (name, color, values) in series)
        {
            var points = new StringBuilder();
            for (int s = 0; s < values.Count; s++)
            {
                if (double.IsNaN(values[s])) continue;
                points.Append(CultureInfo.InvariantCulture, $"{X(s + 0.5):F1},{Y(values[s]):F1} ");
            }
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{points}\"><title>{E(name)}</title></polyline>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right - 90 * (series.Count - legend)}\" y=\"14\" font-size=\"11\" fill=\"{color}\">■ {E(name)}</text>");
            legend++;
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten, at or above <paramref name="v"/> (a chart's top and its steps).</summary>
    public static double NiceCeiling(double v)
    {
        if (v <= 0 || double.IsNaN(v)) return 1;
        double power = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 5, 10 })
            if (m * power >= v) return m * power;
        return 10 * power;
    }
}
