using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomerService.Admin.Configuration;

public static class ConfigurationAdminExtensions
{
    /// <summary>
    /// Live configuration in Admin: the store (tables from Data/Migrations/100_configuration.sql), the change
    /// feed, the ConfigStream gRPC service and the OpenAPI document. Register after the admin database, so the
    /// schema is migrated before the feed starts.
    /// </summary>
    public static IHostApplicationBuilder AddConfigurationAdmin(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<ConfigurationAdminOptions>().BindConfiguration(ConfigurationAdminOptions.Section);
        builder.Services.AddSingleton<ConfigStore>();
        builder.Services.AddSingleton<ConfigChangeFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigChangeFeed>());
        builder.Services.AddGrpc();
        builder.Services.AddOpenApi(o => o.AddSchemaTransformer<SnakeCaseSchemaTransformer>());
        return builder;
    }

    /// <summary>The configuration REST API, ConfigStream.Watch, and the OpenAPI document at /openapi/v1.json.</summary>
    public static WebApplication MapConfigurationAdmin(this WebApplication app)
    {
        app.MapConfigurationApi();
        app.MapGrpcService<ConfigStreamService>();
        app.MapOpenApi();
        return app;
    }
}
