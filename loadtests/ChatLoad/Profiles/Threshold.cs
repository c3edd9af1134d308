using System.Globalization;

namespace CustomerService.ChatLoad.Profiles;

/// <summary>
/// A pass condition on a run's figure, written <c>METRIC&lt;VALUE</c> (also <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>):
/// <c>e2e_p99_ms&lt;200</c> for the whole run, <c>peak.e2e_p99_ms&lt;200</c> for the phase named peak.
/// Any failed threshold makes the run exit non-zero.
/// </summary>
public sealed record Threshold(string Text, string? Phase, string Metric, string Operator, double Value)
{
    /// <summary>Figures of a phase and of the whole run.</summary>
    public static readonly IReadOnlyDictionary<string, string> PhaseMetrics = new Dictionary<string, string>
    {
        ["msg_per_s"] = "customer messages acked per second",
        ["sent"] = "customer messages sent",
        ["acked"] = "customer messages acked (durable)",
        ["e2e_p50_ms"] = "customer→agent latency, median (ms; open model: from the intended send time)",
        ["e2e_p95_ms"] = "customer→agent latency, 95th percentile (ms)",
        ["e2e_p99_ms"] = "customer→agent latency, 99th percentile (ms)",
        ["e2e_max_ms"] = "customer→agent latency, maximum (ms)",
        ["errors"] = "error frames and failed sockets",
        ["error_rate"] = "errors per message sent",
        ["dropped"] = "open model: messages the tool could not send in time (every customer's window full)",
    };

    /// <summary>Figures only of the whole run (the end-of-run audit).</summary>
    public static readonly IReadOnlyDictionary<string, string> RunMetrics = new Dictionary<string, string>
    {
        ["lost"] = "acked messages that never reached the agent's socket",
        ["doubled"] = "messages shown twice under different seqs (agent or archive)",
        ["unassigned"] = "conversations never assigned an agent",
        ["archive_lost"] = "acked messages missing from the archive",
        ["archive_doubled"] = "messages archived twice",
        ["reconnects"] = "sockets opened again after a drop (customers and agents)",
        ["drills_failed"] = "drills after which the platform did not serve again within 60 s (or that could not be played)",
    };

    private static readonly string[] Operators = ["<=", ">=", "<", ">"];

    public static Threshold Parse(string text, IReadOnlySet<string> phases)
    {
        foreach (var op in Operators)
        {
            var at = text.IndexOf(op, StringComparison.Ordinal);
            if (at <= 0) continue;
            var name = text[..at].Trim();
            var valueText = text[(at + op.Length)..].Trim();
            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new ProfileException($"'{text}': '{valueText}' is not a number");
            var dot = name.IndexOf('.');
            var phase = dot > 0 ? name[..dot] : null;
            var metric = dot > 0 ? name[(dot + 1)..] : name;
            if (phase is not null && !phases.Contains(phase))
                throw new ProfileException($"'{text}': no phase '{phase}' (phases: {string.Join(", ", phases)})");
            if (!PhaseMetrics.ContainsKey(metric) && !(phase is null && RunMetrics.ContainsKey(metric)))
                throw new ProfileException($"'{text}': unknown metric '{metric}'{(phase is not null && RunMetrics.ContainsKey(metric) ? " for a phase (it is a whole-run figure)" : "")}; "
                                           + $"metrics: {string.Join(", ", PhaseMetrics.Keys.Concat(RunMetrics.Keys))}");
            return new Threshold(text, phase, metric, op, value);
        }
        throw new ProfileException($"'{text}' is not METRIC<VALUE (or <=, >, >=), e.g. e2e_p99_ms<200");
    }

    public bool Holds(double actual) => Operator switch
    {
        "<" => actual < Value,
        "<=" => actual <= Value,
        ">" => actual > Value,
        _ => actual >= Value,
    };
}
