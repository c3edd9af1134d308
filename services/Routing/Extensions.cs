using CustomerService.Routing.Dispatch;
using CustomerService.Routing.Rules;
using Microsoft.Extensions.Options;

namespace CustomerService.Routing;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        builder.Services.AddRouting(builder.Configuration);
        builder.Services.AddHostedService<OverflowSweeper>();
    }

    /// <summary>Routing's own services, given an IConnectionMultiplexer (tests host them on servers of their own).</summary>
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
        services.AddSingleton<IRoutingRules, ConfiguredRoutingRules>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<PlacementPolicy>();
        return services;
    }
}
