using CustomerService.Gateway.Auth;
using CustomerService.Gateway.Blocklist;
using CustomerService.Gateway.Edge;
using CustomerService.Gateway.Limits;
using CustomerService.Gateway.Proxy;
using CustomerService.Gateway.RateLimiting;
using CustomerService.LiveConfig;

namespace CustomerService.Gateway;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The gateway keeps serving without Redis: the blocklist then stays as last loaded.
        builder.AddRedisClient("redis", configureOptions: redis => redis.AbortOnConnectFail = false);
        builder.Services.AddProblemDetails();
        // Per-tenant edge settings (suspension, allowed origins, rate limits, socket caps) live from Admin; the last good ones stay
        // in force while Admin is away, and /health says so.
        builder.AddLiveConfig(ConfigSections.Gateway);
        RequestLimits.AddRequestLimits(builder);
        builder.AddSocketCapacity();
        builder.AddSocketQuotas();
        builder.AddSharedPort();
        builder.AddGatewayAuthentication();
        builder.AddGatewayRateLimits();
        builder.AddVisitorTokenLimits();
        builder.AddBlocklist();
        builder.AddGatewayProxy();
    }
}
