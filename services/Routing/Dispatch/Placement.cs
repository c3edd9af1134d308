namespace CustomerService.Routing.Dispatch;

/// <summary>
/// Where a new conversation goes: its skill group, its band in the queue, and the group it overflows to when it
/// has waited <see cref="OverflowAfter"/> without an agent.
/// </summary>
public sealed record Placement(string SkillGroup, QueueBand Band, string? OverflowTo = null, TimeSpan OverflowAfter = default);
