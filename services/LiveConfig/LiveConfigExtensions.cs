using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class LiveConfigExtensions
{
    /// <summary>The Admin service's gRPC endpoint, found by service discovery.</summary>
    public const string DefaultAddress = "http://_grpc.admin";

    /// <summary>
    /// Live configuration for this service: a <see cref="ConfigWatcher"/> that streams the given sections from Admin
    /// (see <see cref="ConfigSections"/>), <see cref="ILiveConfig"/> to read them, a health check, and
    /// <see cref="TenantSensitiveWords"/> when <c>sensitive_words</c> is among them. Calling it again adds sections.
    /// The address can be overridden with LiveConfig:Address.
    /// </summary>
    public static TBuilder AddLiveConfig<TBuilder>(this TBuilder builder, params string[] sections) where TBuilder : IHostApplicationBuilder
    {
        foreach (var section in sections) ConfigSections.Get(section);
        var services = builder.Services;
        services.Configure<LiveConfigOptions>(builder.Configuration.GetSection(LiveConfigOptions.ConfigurationSection));
        services.Configure<LiveConfigOptions>(o => o.Sections.UnionWith(sections));
        if (sections.Contains(ConfigSections.SensitiveWords)) services.TryAddSingleton<TenantSensitiveWords>();

        if (services.Any(d => d.ServiceType == typeof(ConfigWatcher))) return builder;

        var address = builder.Configuration[$"{LiveConfigOptions.ConfigurationSection}:Address"] ?? DefaultAddress;
        services.AddStreamingGrpcClient<ConfigStream.ConfigStreamClient>(address)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A stream that is silent because nothing changed must still notice a peer that vanished.
                KeepAlivePingDelay = TimeSpan.FromSeconds(15),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                EnableMultipleHttp2Connections = true,
            });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ConfigWatcher>();
        services.AddSingleton<ILiveConfig>(sp => sp.GetRequiredService<ConfigWatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<ConfigWatcher>());
        services.AddHealthChecks().AddCheck<LiveConfigHealthCheck>("live-config", tags: ["ready"]);
        return builder;
    }
}
