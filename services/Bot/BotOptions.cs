using System.ComponentModel.DataAnnotations;
using CustomerService.Bot.Knowledge;

namespace CustomerService.Bot;

/// <summary>The "Bot" configuration section.</summary>
public sealed class BotOptions
{
    public const string SectionName = "Bot";

    /// <summary>Each tenant's knowledge by tenant id (Bot:Tenants:{tenantId}:Settings|Rules|Faq).</summary>
    public Dictionary<string, TenantKnowledge> Tenants { get; set; } = [];

    /// <summary>
    /// Conversations handled at once by one replica. A conversation's messages always take the same lane, so they
    /// are answered in order.
    /// </summary>
    [Range(1, 4096)]
    public int Lanes { get; set; } = 64;

    /// <summary>How long a conversation's unanswered-turn count is kept after its last change.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan UnansweredTurnsTtl { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How long to wait for Session to take a posted message or a handoff before trying again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan SessionRequestTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
