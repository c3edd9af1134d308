using CustomerService.LiveConfig;
using CustomerService.Routing.Desk;
using CustomerService.Routing.Dispatch;
using CustomerService.Routing.Rules;
using Microsoft.Extensions.Options;

namespace CustomerService.Routing;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        // Routing rules and the agent directory from Admin over the config stream (docs/configuration.md).
        builder.AddLiveConfig(ConfigSections.RoutingRules, ConfigSections.Agents);
        builder.Services.AddRouting(builder.Configuration);
        builder.Services.AddHostedService<OverflowSweeper>();
    }

    /// <summary>
    /// Routing's own services, given an IConnectionMultiplexer (tests host them on servers of their own). Call
    /// AddLiveConfig(routing_rules, agents) on the host for live rules and the agent directory.
    /// </summary>
    public static IServiceCollection AddRouting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGrpc();
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        // "Routing:Rules:{tenant}" reads better for operators than a nested "Tenants" section.
        var rules = configuration.GetSection(RoutingRulesOptions.Section);
        services.AddOptions<RoutingRulesOptions>().Configure(o => rules.Bind(o.Tenants)).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<RoutingRulesOptions>>(new ConfigurationChangeTokenSource<RoutingRulesOptions>(rules));
        services.AddSingleton<IValidateOptions<RoutingRulesOptions>, RoutingRulesValidation>();
        services.AddSingleton<ConfiguredRoutingRules>();
        // Live rules when the host subscribes to live configuration (AddLiveConfig), with configuration as the fallback.
        services.AddSingleton<IRoutingRules>(sp => sp.GetService<ILiveConfig>() is { } live
            ? new LiveRoutingRules(live, sp.GetRequiredService<ConfiguredRoutingRules>())
            : sp.GetRequiredService<ConfiguredRoutingRules>());
        services.AddSingleton(sp => new AgentProfiles(sp.GetService<ILiveConfig>(), sp.GetRequiredService<IRoutingRules>()));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<PlacementPolicy>();
        services.AddSingleton(sp => new AgentRoster(sp.GetRequiredService<Dispatcher>(), sp.GetService<ILiveConfig>()));
        services.AddProblemDetails();
        return services;
    }
}
