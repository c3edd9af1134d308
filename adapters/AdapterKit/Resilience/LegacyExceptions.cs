namespace CustomerService.AdapterKit.Resilience;

/// <summary>A legacy system answered, but not usefully (an error status, an oversized answer ...).</summary>
public class LegacySystemException(string system, string message, bool isTransient, Exception? inner = null)
    : Exception($"{system}: {message}", inner)
{
    public string System { get; } = system;

    /// <summary>Worth retrying (a 5xx, 429, 408): counted by the circuit breaker either way.</summary>
    public bool IsTransient { get; } = isTransient;
}

/// <summary>
/// The legacy system has no such record. An answer, not a failure: no retry, no fallback, not counted by the
/// circuit breaker; the caller passes it on (gRPC NotFound).
/// </summary>
public sealed class LegacyRecordNotFoundException(string system, string what)
    : Exception($"{system} has no {what}")
{
    public string System { get; } = system;
}

public enum LegacyFailureKind
{
    /// <summary>No answer within the attempt or total timeout.</summary>
    Timeout,
    /// <summary>The circuit is open: the system failed repeatedly and is not called until the break ends.</summary>
    CircuitOpen,
    /// <summary>No connection (refused, reset, DNS).</summary>
    Unreachable,
    /// <summary>An answer that could not be used: an error status, or a malformed or oversized payload.</summary>
    BadAnswer,
    /// <summary>The caller's deadline left no time to ask the legacy system.</summary>
    NoTimeLeft,
    Error,
}

/// <summary>Why a legacy call fell back, for the fallback to pass on (e.g. as an "unavailable" reason).</summary>
public sealed record LegacyFailure(string System, LegacyFailureKind Kind, string Reason, Exception? Exception);
