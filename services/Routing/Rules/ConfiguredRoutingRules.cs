using Microsoft.Extensions.Options;

namespace CustomerService.Routing.Rules;

/// <summary>
/// Routing rules from configuration section "Routing:Rules": one entry per tenant id, and "*" for tenants without
/// an entry of their own. Follows configuration reloads.
/// </summary>
public sealed class ConfiguredRoutingRules(IOptionsMonitor<RoutingRulesOptions> options) : IRoutingRules
{
    public const string AnyTenant = "*";

    public TenantRoutingRules For(string tenant)
    {
        var tenants = options.CurrentValue.Tenants;
        return tenants.GetValueOrDefault(tenant) ?? tenants.GetValueOrDefault(AnyTenant) ?? TenantRoutingRules.None;
    }
}

public sealed class RoutingRulesOptions
{
    public const string Section = "Routing:Rules";

    public Dictionary<string, TenantRoutingRules> Tenants { get; set; } = [];
}
