namespace CustomerService.Gateway.Proxy;

public static class GatewayProxy
{
    /// <summary>
    /// YARP routes and clusters from the <c>ReverseProxy</c> section, destinations found by service discovery, identity
    /// headers set from the token and signed (<see cref="IdentityHeadersTransform"/>).
    /// </summary>
    public static IHostApplicationBuilder AddGatewayProxy(this IHostApplicationBuilder builder)
    {
        // The gateway is where identity headers come from: it strips what clients send and signs what it sets,
        // instead of refusing unsigned ones as the services behind it do.
        builder.Services.Configure<InternalTrustOptions>(trust => trust.VerifyIdentityHeaders = false);
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms<IdentityHeadersTransform>();
        return builder;
    }
}
