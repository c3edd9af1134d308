using CustomerService.LiveConfig;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Per-tenant behaviour of the session, from live configuration: whether new conversations go to the bot first
/// (a tenant without a tenant_settings document goes straight to routing: a bot that knows nothing of the
/// tenant would only hand off), and the flags that change how messages reach agents.
/// </summary>
public sealed class TenantPolicies(ILiveConfig config)
{
    public bool IsBotFirst(string tenant) => config.Current.FindOwn<TenantSettings>(tenant)?.BotFirst ?? false;

    public bool MergesShortMessages(string tenant, string visitor) =>
        config.Current.IsEnabled(FeatureFlagKeys.MergeShortMessages, tenant, visitor);
}
