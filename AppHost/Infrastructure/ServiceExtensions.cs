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

    public static IResourceBuilder<ProjectResource> Uses(this IResourceBuilder<ProjectResource> service, InfrastructureReference dependency)
    {
        dependency.Reference(service);
        return service.WaitFor(dependency.Resource);
    }
}
