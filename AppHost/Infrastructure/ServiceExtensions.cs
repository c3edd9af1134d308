using Microsoft.Extensions.Configuration;

namespace CustomerService.AppHost.Infrastructure;

public static class ServiceExtensions
{
    /// <summary>
    /// A platform service: an http endpoint (and a separate HTTP/2 endpoint for gRPC when it serves gRPC, since
    /// cleartext HTTP/2 cannot share a port with HTTP/1.1), readiness from its /health, and trace sampling.
    /// In local runs a single-replica service listens on its allocated ports itself: DCP's proxy would otherwise
    /// relay every request, gRPC call and socket frame once more (a tenth of the CPU under chat load). Replicated
    /// services keep the proxy, which spreads connections over the replicas.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder,
        string name, bool grpc = false, int? port = null, int replicas = 1) where TProject : IProjectMetadata, new()
    {
        var service = builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(port: port, name: "http")
            .WithHttpHealthCheck("/health")
            .WithTelemetry(builder);
        if (!builder.ExecutionContext.IsPublishMode)
            service.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
        if (replicas > 1) service.WithReplicas(replicas);
        else if (!builder.ExecutionContext.IsPublishMode) service.WithEndpointProxySupport(false);
        if (grpc)
            service.WithHttpEndpoint(name: "grpc", env: "GRPC_PORT")
                .WithEndpoint("grpc", e => e.Transport = "http2");
        return service;
    }

    /// <summary>
    /// The gateway tier: <paramref name="replicas"/> gateway processes. Local runs start them as resources
    /// gateway, gateway-2, ... on the one fixed port, shared with SO_REUSEPORT (Edge:SharePort; the kernel spreads
    /// connections), since a proxy in front would spend two descriptors per socket as the gateway itself does. A
    /// published deployment runs one resource with replicas behind the platform's own balancer.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddGatewayTier(this IDistributedApplicationBuilder builder, int? port, int replicas)
    {
        if (builder.ExecutionContext.IsPublishMode)
            return [builder.AddService<Projects.Gateway>("gateway", port: port, replicas: Math.Max(1, replicas))];
        if (replicas <= 1) return [builder.AddService<Projects.Gateway>("gateway", port: port).WithLoopbackAllowance()];
        return Enumerable.Range(1, replicas)
            .Select(i => builder.AddService<Projects.Gateway>(i == 1 ? "gateway" : $"gateway-{i}", port: port)
                .WithEnvironment("Edge__SharePort", "true").WithLoopbackAllowance())
            .ToList();
    }

    /// <summary>
    /// Local runs: clients on this machine (the load tool, the browser tests) get a per-address bucket of 4,000
    /// requests refilled at 2,000 a second instead of the production 400/200, 20,000 sockets at once instead of the
    /// production 200 per address (the load tool holds thousands from 127.0.0.1; one gateway process holds 9,500 at
    /// most), and 4,000 visitor tokens refilled at 2,000 a second instead of 20 and one every 3 s (the Integration
    /// tests sign visitors in from here), so that the gateway's per-IP limits do not silently shape a run from
    /// loopback; past them they still get 429, which the load tool counts (docs/loadtests.md). Deployments have no
    /// allowance unless they configure one.
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithLoopbackAllowance(this IResourceBuilder<ProjectResource> gateway)
    {
        string[] networks = ["127.0.0.0/8", "::1"];
        for (int i = 0; i < networks.Length; i++)
            gateway.WithEnvironment($"RateLimits__Allowances__{i}__Network", networks[i])
                .WithEnvironment($"RateLimits__Allowances__{i}__TokenLimit", "4000")
                .WithEnvironment($"RateLimits__Allowances__{i}__TokensPerPeriod", "2000")
                .WithEnvironment($"RateLimits__Allowances__{i}__MaxSockets", "20000")
                .WithEnvironment($"RateLimits__Allowances__{i}__VisitorTokens__TokenLimit", "4000")
                .WithEnvironment($"RateLimits__Allowances__{i}__VisitorTokens__TokensPerPeriod", "2000");
        return gateway;
    }

    /// <summary>
    /// Head sampling by the OpenTelemetry SDK's own variables: a trace starts sampled with probability
    /// <c>Telemetry:TraceSampleRatio</c> (default: every trace in local runs, for the dashboard; 5% in the manifest,
    /// since at thousands of messages a second a full trace of each costs more CPU than the message), and every
    /// service follows the decision of the trace it continues. <c>Telemetry:Enabled=false</c> (local runs only)
    /// starts the services without OpenTelemetry at all, to measure what telemetry costs (docs/performance.md).
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithTelemetry(this IResourceBuilder<ProjectResource> service, IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsPublishMode && !builder.Configuration.GetValue("Telemetry:Enabled", true))
            return service.WithEnvironment("Telemetry__Enabled", "false");
        var ratio = builder.Configuration.GetValue("Telemetry:TraceSampleRatio", builder.ExecutionContext.IsPublishMode ? 0.05 : 1.0);
        if (ratio is < 0 or > 1 || double.IsNaN(ratio))
            throw new InvalidOperationException($"Telemetry:TraceSampleRatio must be between 0 and 1, not {ratio}.");
        return service.WithEnvironment("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
            .WithEnvironment("OTEL_TRACES_SAMPLER_ARG", ratio.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// An adapter's legacy system: in local runs a simulator started beside it (not waited for: the adapter must
    /// answer "unavailable" while its legacy system is down); in the manifest a parameter with the real system's
    /// address, since the simulators stand for the customer's own systems and are not deployed.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLegacySystem(this IResourceBuilder<ProjectResource> adapter,
        string simulatorName, string baseUrlSetting, Func<string, IResourceBuilder<ExecutableResource>> simulator)
    {
        var builder = adapter.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
            return adapter.WithEnvironment(baseUrlSetting, builder.AddParameter($"{simulatorName.Replace("-sim", "")}-base-url"));
        var sim = simulator(simulatorName).ExcludeFromManifest();
        return adapter.WithReference(sim.GetEndpoint("http"));
    }

    /// <summary>
    /// The service's <c>nats</c> connection string as its own NATS user (<see cref="NatsUsers"/>), and a wait for the
    /// server: in place of a reference to the server, whose connection string names no user.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithNats(this IResourceBuilder<ProjectResource> service, Infrastructure infra,
        IResourceBuilder<IResourceWithConnectionString> nats, string user) =>
        service.WithEnvironment("ConnectionStrings__nats", infra.NatsConnectionString(user)).WaitFor(nats);

    public static IResourceBuilder<ProjectResource> Uses(this IResourceBuilder<ProjectResource> service, InfrastructureReference dependency)
    {
        dependency.Reference(service);
        return service.WaitFor(dependency.Resource);
    }
}
