namespace CustomerService.Session.Conversations;

/// <summary>
/// Per-tenant behaviour of the session: whether new conversations go to the bot first. Read from configuration
/// ("Session:BotFirstTenants"), which live configuration updates while the service runs.
/// </summary>
public sealed class TenantPolicies(IConfiguration configuration)
{
    public bool IsBotFirst(string tenant) =>
        configuration.GetSection("Session:BotFirstTenants").Get<string[]>()?.Contains(tenant) == true;
}
