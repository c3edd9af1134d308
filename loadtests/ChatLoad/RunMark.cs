namespace CustomerService.ChatLoad;

/// <summary>
/// Something that happened at a moment of a run, marked on the report's time axis: a phase starting, a drill (what
/// was done, how long the platform took to recover, what was seen), a refusal the gateway answered.
/// </summary>
/// <param name="AtSeconds">Seconds since the first phase started (the timeline's axis).</param>
/// <param name="Kind">"phase", "drill", ...: what the report groups and colours by.</param>
/// <param name="Label">What happened, for a person: "kill -9 session", "peak".</param>
/// <param name="RecoverySeconds">For a drill: from the fault to the platform serving again; null when not measured or never recovered.</param>
/// <param name="Outcome">For a drill: what was seen ("recovered", "never recovered in 60 s", ...).</param>
public sealed record RunMark(double AtSeconds, string Kind, string Label, double? RecoverySeconds = null, string? Outcome = null);
