using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Polly.CircuitBreaker;

namespace CustomerService.AdapterKit.Resilience;

/// <summary>
/// Metrics of the legacy systems an adapter calls, on the platform's meter: the circuit state of each (the
/// dashboard's "is the CRM reachable") and how many calls were answered by a fallback, and why.
/// </summary>
public sealed class LegacyMetrics
{
    public const string MeterName = "CustomerService";
    /// <summary>0 closed, 1 open, 2 half-open, 3 isolated (Polly's CircuitState); tag legacy.system.</summary>
    public const string CircuitStateInstrument = "customerservice.legacy.circuit_state";
    /// <summary>Calls answered by the fallback; tags legacy.system and failure.kind.</summary>
    public const string FallbacksInstrument = "customerservice.legacy.fallbacks";
    public const string SystemTag = "legacy.system";

    private readonly ConcurrentDictionary<string, Func<CircuitState>> _circuits = new();
    private readonly Counter<long> _fallbacks;

    public LegacyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge(CircuitStateInstrument, Observe, unit: "{state}",
            description: "Circuit breaker state per legacy system: 0 closed, 1 open, 2 half-open, 3 isolated");
        _fallbacks = meter.CreateCounter<long>(FallbacksInstrument, unit: "{call}",
            description: "Legacy calls answered by the fallback (cached value or unavailable)");
    }

    internal void Register(string system, Func<CircuitState> state) => _circuits[system] = state;

    internal void Fallback(string system, LegacyFailureKind kind) =>
        _fallbacks.Add(1, new KeyValuePair<string, object?>(SystemTag, system), new KeyValuePair<string, object?>("failure.kind", kind.ToString()));

    private IEnumerable<Measurement<int>> Observe()
    {
        foreach (var (system, state) in _circuits)
            yield return new Measurement<int>((int)state(), new KeyValuePair<string, object?>(SystemTag, system));
    }
}
