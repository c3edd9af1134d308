using System.ComponentModel.DataAnnotations;

namespace CustomerService.Routing;

/// <summary>Settings of the Routing service, section "Routing".</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>How long after a conversation a returning visitor goes back to the same agent, when that agent is free.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan StickyFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Customer tiers whose conversations wait ahead of the others (case-insensitive).</summary>
    public string[] PriorityTiers { get; set; } = ["vip"];

    /// <summary>Most conversations a single agent may hold at once; SetPresence refuses more.</summary>
    [Range(1, 1000)]
    public int MaxCapacity { get; set; } = 50;

    /// <summary>How often each replica moves queued conversations whose overflow wait is over.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan OverflowSweepEvery { get; set; } = TimeSpan.FromSeconds(1);
}
