using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomerService.AdapterKit.Resilience;

public static class LegacySystemServiceCollectionExtensions
{
    /// <summary>
    /// A <see cref="LegacySystem{TResult}"/> keyed by <paramref name="name"/> (inject it with
    /// <c>[FromKeyedServices(name)]</c>), its options bound from <paramref name="section"/> and validated on start,
    /// and its circuit state on the metrics from the first moment.
    /// </summary>
    public static IServiceCollection AddLegacySystem<TResult>(this IServiceCollection services, string name, IConfiguration section)
    {
        services.AddOptions<LegacyResilienceOptions>(name).Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LegacyResilienceOptions>, LegacyResilienceOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<LegacyMetrics>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddKeyedSingleton(name, (sp, _) => new LegacySystem<TResult>(name,
            sp.GetRequiredService<IOptionsMonitor<LegacyResilienceOptions>>().Get(name),
            sp.GetRequiredService<LegacyMetrics>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHostedService>(sp => new Activation(() => sp.GetRequiredKeyedService<LegacySystem<TResult>>(name)));
        return services;
    }

    /// <summary>Builds the legacy system when the host starts, so its circuit shows (closed) before the first call.</summary>
    private sealed class Activation(Func<object> activate) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) { activate(); return Task.CompletedTask; }
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
