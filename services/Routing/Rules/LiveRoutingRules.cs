using System.Runtime.CompilerServices;
using CustomerService.LiveConfig;
using LiveRules = CustomerService.LiveConfig.RoutingRules;

namespace CustomerService.Routing.Rules;

/// <summary>
/// Routing rules from live configuration: the tenant's <c>routing_rules</c> document, else the platform's (tenant
/// <c>*</c>), read from <see cref="ILiveConfig.Current"/> on every Enqueue, so a change made through the Admin API
/// applies to the next conversation. A tenant for which Admin has neither keeps the rules of configuration section
/// <c>Routing:Rules</c> (<see cref="ConfiguredRoutingRules"/>): the fallback, also while Admin has not answered yet.
/// </summary>
public sealed class LiveRoutingRules(ILiveConfig config, ConfiguredRoutingRules configured) : IRoutingRules
{
    // One translation per document: documents are immutable and replaced on change, so the reference is the key.
    private static readonly ConditionalWeakTable<LiveRules, TenantRoutingRules> Translated = new();

    public TenantRoutingRules For(string tenant)
    {
        var snapshot = config.Current;
        var document = snapshot.FindOwn<LiveRules>(tenant) ?? snapshot.FindOwn<LiveRules>(LiveConfigSnapshot.PlatformTenant);
        return document is null ? configured.For(tenant) : Translated.GetValue(document, Translate);
    }

    /// <summary>The default capacity of the tenant's agents (routing_rules.default_agent_capacity), when a document sets one.</summary>
    public int? DefaultAgentCapacity(string tenant)
    {
        var snapshot = config.Current;
        return (snapshot.FindOwn<LiveRules>(tenant) ?? snapshot.FindOwn<LiveRules>(LiveConfigSnapshot.PlatformTenant))?.DefaultAgentCapacity;
    }

    /// <summary>
    /// A <c>routing_rules</c> document in Routing's terms: rules keep their order (the first match decides); a priority
    /// above 0 puts the conversation in the priority band (Routing's queues have three bands, not 101 levels); a rule's
    /// overflow applies to the conversations it placed, and to the other conversations of its group (a named
    /// skill group or the default) as the first such rule of that group says.
    /// </summary>
    public static TenantRoutingRules Translate(LiveRules document)
    {
        var rules = new List<RoutingRule>(document.Rules.Count);
        var overflows = new List<OverflowRule>();
        for (var i = 0; i < document.Rules.Count; i++)
        {
            var rule = document.Rules[i];
            OverflowRule? overflow = rule.Overflow is { } o
                ? new OverflowRule { FromSkillGroup = rule.SkillGroup, ToSkillGroup = o.ToGroup, After = TimeSpan.FromSeconds(o.AfterSeconds) }
                : null;
            if (overflow is not null && !overflows.Exists(x => x.FromSkillGroup == overflow.FromSkillGroup)) overflows.Add(overflow);
            rules.Add(new RoutingRule
            {
                Name = rule.Name,
                Order = i,
                SkillGroup = rule.SkillGroup,
                HighPriority = rule.Priority > 0,
                Overflow = overflow,
                When = new RuleCondition
                {
                    EntryPages = rule.Match.EntryPages,
                    Languages = rule.Match.Languages,
                    CustomerTiers = rule.Match.CustomerTiers,
                    Keywords = rule.Match.Keywords,
                },
            });
        }
        return new TenantRoutingRules { DefaultSkillGroup = document.DefaultGroup, Rules = rules, Overflows = overflows };
    }
}
