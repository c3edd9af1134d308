using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerService.ChatLoad.Drills;

/// <summary>What a drill does to the platform while the phases play.</summary>
public enum DrillKind
{
    /// <summary>kill -9 a platform service's process(es), then (after <c>downSeconds</c>, default at once) start it again as its supervisor would.</summary>
    KillService,
    /// <summary>kill -9 NATS, and after <c>downSeconds</c> start it again with the same command line.</summary>
    RestartNats,
    /// <summary>kill -9 Redis, and after <c>downSeconds</c> start it again with the same settings.</summary>
    RestartRedis,
    /// <summary>The CRM legacy system answers <c>delayMs</c> late for <c>seconds</c>.</summary>
    CrmSlow,
    /// <summary>The CRM legacy system answers 503 for <c>seconds</c>.</summary>
    CrmDown,
}

/// <summary>
/// One drill of a profile's <c>drills</c> array, e.g. <c>{ "at": 120, "kind": "kill-service", "target": "session" }</c>:
/// scheduled on the pacer's clock (seconds since the first phase started), played by <see cref="DrillRunner"/>,
/// marked on the report's time axis with its recovery time.
/// </summary>
public sealed record Drill
{
    /// <summary>The platform's services a kill-service drill may name (the AppHost's project resources).</summary>
    public static readonly IReadOnlyList<string> Services =
        ["admin", "routing", "crm", "orders", "webhooks", "session", "bot", "historywriter", "web", "gateway"];

    /// <summary>Seconds since the first phase started.</summary>
    public double At { get; init; }
    public DrillKind Kind { get; init; }
    /// <summary>kill-service: which service (<see cref="Services"/>).</summary>
    public string? Target { get; init; }
    /// <summary>
    /// restart-nats, restart-redis, kill-service: how long the server or service stays down before it is started again
    /// (kill-service: default 0, a supervisor's immediate restart; e.g. historywriter down 30 s is an archive outage).
    /// </summary>
    public double? DownSeconds { get; init; }
    /// <summary>crm-slow: how late every CRM answer is, in milliseconds.</summary>
    public int? DelayMs { get; init; }
    /// <summary>crm-slow, crm-down: how long the CRM stays slow or down.</summary>
    public double? Seconds { get; init; }

    /// <summary>restart-nats and restart-redis stay down 2 s unless the profile says otherwise.</summary>
    public const double DefaultDownSeconds = 2;

    [JsonIgnore]
    public string KindName => JsonNamingPolicy.KebabCaseLower.ConvertName(Kind.ToString());

    /// <summary>For a person and the report: "kill -9 session", "crm-slow 800 ms for 20 s".</summary>
    [JsonIgnore]
    public string Label => Kind switch
    {
        DrillKind.KillService => DownSeconds is > 0 ? $"kill -9 {Target} (down {DownSeconds:G} s)" : $"kill -9 {Target}",
        DrillKind.RestartNats => $"restart NATS (down {DownSeconds ?? DefaultDownSeconds:G} s)",
        DrillKind.RestartRedis => $"restart Redis (down {DownSeconds ?? DefaultDownSeconds:G} s)",
        DrillKind.CrmSlow => $"CRM slow ({DelayMs} ms for {Seconds:G} s)",
        DrillKind.CrmDown => $"CRM down ({Seconds:G} s)",
        _ => KindName,
    };

    /// <summary>What is wrong with this drill in a profile of <paramref name="duration"/> seconds, each naming its field.</summary>
    public IEnumerable<string> Validate(double duration)
    {
        if (!(At >= 0) || At >= duration) yield return $"at must be within the profile's {duration:G} s (0 <= at < {duration:G}), not {At:G}";
        bool needsTarget = Kind == DrillKind.KillService;
        if (needsTarget && string.IsNullOrWhiteSpace(Target)) yield return $"target is required for kill-service ({string.Join(", ", Services)})";
        else if (needsTarget && !Services.Contains(Target)) yield return $"target '{Target}' is not a platform service ({string.Join(", ", Services)})";
        else if (!needsTarget && Target is not null) yield return $"target is only for kill-service, not {KindName}";

        bool restart = Kind is DrillKind.RestartNats or DrillKind.RestartRedis or DrillKind.KillService;
        if (restart && DownSeconds is { } down && !(down >= 0 && down <= 60)) yield return "downSeconds must be between 0 and 60";
        else if (restart && At + (DownSeconds ?? 0) > duration)
            yield return $"downSeconds: the outage ({At:G} + {DownSeconds:G} s) must end within the profile's {duration:G} s";
        else if (!restart && DownSeconds is not null) yield return $"downSeconds is only for kill-service, restart-nats and restart-redis, not {KindName}";

        bool crm = Kind is DrillKind.CrmSlow or DrillKind.CrmDown;
        if (crm && Seconds is not > 0) yield return $"seconds is required for {KindName} (how long, positive)";
        else if (crm && At + Seconds > duration) yield return $"seconds: the fault ({At:G} + {Seconds:G} s) must end within the profile's {duration:G} s";
        else if (!crm && Seconds is not null) yield return $"seconds is only for crm-slow and crm-down, not {KindName}";

        if (Kind == DrillKind.CrmSlow && DelayMs is not > 0) yield return "delayMs is required for crm-slow (milliseconds, positive)";
        else if (Kind != DrillKind.CrmSlow && DelayMs is not null) yield return $"delayMs is only for crm-slow, not {KindName}";
    }
}
