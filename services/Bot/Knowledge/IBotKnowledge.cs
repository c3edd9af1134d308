namespace CustomerService.Bot.Knowledge;

/// <summary>
/// Where the bot reads a tenant's rules, FAQ and settings. Implementations hand out immutable snapshots and replace
/// them on change (raising <see cref="Changed"/>): the engine and the predictors rebuild their indexes for a snapshot
/// they have not seen, so a change takes effect on the next message without a restart.
/// </summary>
public interface IBotKnowledge
{
    /// <summary>The tenant's current knowledge; <see cref="TenantKnowledge.Empty"/> (defaults) for a tenant with none.</summary>
    TenantKnowledge For(string tenantId);

    /// <summary>Raised with the tenant id after that tenant's knowledge was replaced or removed.</summary>
    event Action<string>? Changed;
}
