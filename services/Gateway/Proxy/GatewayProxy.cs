namespace CustomerService.Gateway.Proxy;

public static class GatewayProxy
{
    /// <summary>YARP routes and clusters from the <c>ReverseProxy</c> section, destinations found by service discovery.</summary>
    public static IHostApplicationBuilder AddGatewayProxy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms<IdentityHeadersTransform>();
        return builder;
    }
}
