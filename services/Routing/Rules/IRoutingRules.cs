namespace CustomerService.Routing.Rules;

/// <summary>Where routing rules come from. Read on every Enqueue, so a change applies to the next conversation.</summary>
public interface IRoutingRules
{
    TenantRoutingRules For(string tenant);
}
