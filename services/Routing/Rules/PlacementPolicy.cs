using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CustomerService.Routing.Rules;

/// <summary>Decides a new conversation's skill group, queue band and overflow from the request and the tenant's rules.</summary>
public sealed class PlacementPolicy(IRoutingRules rules, IOptionsMonitor<RoutingOptions> options)
{
    public Placement Decide(EnqueueRequest request)
    {
        var tenantRules = rules.For(request.TenantId);
        var group = request.SkillGroup;
        var band = IsPriorityTier(request.CustomerTier) ? QueueBand.Priority : QueueBand.Normal;
        if (group.Length == 0)
        {
            var rule = RuleEvaluator.Match(tenantRules,
                new ConversationFacts(request.EntryPage, request.Language, request.CustomerTier, request.FirstMessage));
            if (rule is not null)
            {
                group = rule.SkillGroup;
                if (rule.HighPriority) band = QueueBand.Priority;
                if (rule.Overflow is { } own) return new Placement(group, band, own.ToSkillGroup, own.After);
            }
            else
            {
                group = tenantRules.DefaultSkillGroup is { Length: > 0 } fallback ? fallback
                    : throw new RoutingRefusal(StatusCode.FailedPrecondition,
                        $"skill_group is empty and no routing rule of tenant {request.TenantId} matches the conversation (and it has no default skill group)");
            }
        }
        foreach (var overflow in tenantRules.Overflows)
            if (overflow.FromSkillGroup == group)
                return new Placement(group, band, overflow.ToSkillGroup, overflow.After);
        return new Placement(group, band);
    }

    private bool IsPriorityTier(string tier)
    {
        if (tier.Length == 0) return false;
        foreach (var t in options.CurrentValue.PriorityTiers)
            if (string.Equals(t, tier, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
