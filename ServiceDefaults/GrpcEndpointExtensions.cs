using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

public static class GrpcEndpointExtensions
{
    /// <summary>
    /// Cleartext HTTP/2 (what gRPC needs without TLS) cannot share a port with HTTP/1.1, so a service that serves
    /// gRPC listens on a second port, GRPC_PORT, for HTTP/2 only, beside its HTTP/1.1 port (ASPNETCORE_URLS or
    /// HTTP_PORTS). The AppHost names that endpoint "grpc"; clients use http://_grpc.{service}.
    /// </summary>
    public static TBuilder AddGrpcEndpoint<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (builder is not Microsoft.AspNetCore.Builder.WebApplicationBuilder web) return builder;
        if (!int.TryParse(builder.Configuration["GRPC_PORT"], out var grpcPort)) return builder;

        var httpUrls = (builder.Configuration["ASPNETCORE_URLS"] ?? builder.Configuration["urls"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => new Uri(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0")))
            .ToList();
        // Containers (the published manifest) name ports only: listen on every interface there.
        foreach (var port in (builder.Configuration["HTTP_PORTS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(port, out var p)) httpUrls.Add(new Uri($"http://0.0.0.0:{p}"));
        bool loopbackOnly = httpUrls.Count > 0 && httpUrls.All(u => u.IsLoopback);

        web.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var uri in httpUrls.Where(u => u.Port != grpcPort).DistinctBy(u => u.Port))
            {
                if (uri.Host is "localhost") kestrel.ListenLocalhost(uri.Port, o => o.Protocols = HttpProtocols.Http1);
                else kestrel.Listen(System.Net.IPAddress.Parse(uri.Host), uri.Port, o => o.Protocols = HttpProtocols.Http1);
            }
            if (loopbackOnly) kestrel.ListenLocalhost(grpcPort, o => o.Protocols = HttpProtocols.Http2);
            else kestrel.ListenAnyIP(grpcPort, o => o.Protocols = HttpProtocols.Http2);
        });
        return builder;
    }
}
