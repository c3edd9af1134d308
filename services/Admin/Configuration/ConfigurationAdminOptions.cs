namespace CustomerService.Admin.Configuration;

/// <summary>Options of the configuration API (configuration section "Configuration").</summary>
public sealed class ConfigurationAdminOptions
{
    public const string Section = "Configuration";

    /// <summary>The tenant whose admins may change platform-wide documents (tenant "*"), such as rollouts by tenant.</summary>
    public string OperatorTenant { get; set; } = "platform";
}
