namespace CustomerService.AppHost.Infrastructure;

public static class ServiceExtensions
{
    /// <summary>
    /// A platform service: an http endpoint (and a separate HTTP/2 endpoint for gRPC when it serves gRPC, since
    /// cleartext HTTP/2 cannot share a port with HTTP/1.1), readiness from its /health.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder,
        string name, bool grpc = false, int? port = null) where TProject : IProjectMetadata, new()
    {
        var service = builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(port: port, name: "http")
            .WithHttpHealthCheck("/health");
        if (!builder.ExecutionContext.IsPublishMode)
            service.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
        if (grpc)
            service.WithHttpEndpoint(name: "grpc", env: "GRPC_PORT")
                .WithEndpoint("grpc", e => e.Transport = "http2");
        return service;
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

    public static IResourceBuilder<ProjectResource> Uses(this IResourceBuilder<ProjectResource> service, InfrastructureReference dependency)
    {
        dependency.Reference(service);
        return service.WaitFor(dependency.Resource);
    }
}
