using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class GrpcClientExtensions
{
    /// <summary>
    /// A typed gRPC client for a service found by discovery (e.g. <c>http://_grpc.routing</c>): unary calls get the
    /// standard resilience pipeline from <see cref="Extensions.AddServiceDefaults{TBuilder}"/>.
    /// </summary>
    public static IHttpClientBuilder AddServiceGrpcClient<TClient>(this IServiceCollection services, string address)
        where TClient : class
        => services.AddGrpcClient<TClient>(o => o.Address = new Uri(address));

    /// <summary>
    /// A client for long-lived server streams: no total-request timeout or retry around the stream, which the
    /// caller resumes itself.
    /// </summary>
    public static IHttpClientBuilder AddStreamingGrpcClient<TClient>(this IServiceCollection services, string address)
        where TClient : class
    {
#pragma warning disable EXTEXP0001 // the supported way to opt one client out of the defaults
        return services.AddGrpcClient<TClient>(o => o.Address = new Uri(address)).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }
}
