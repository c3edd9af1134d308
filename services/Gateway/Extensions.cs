using CustomerService.Gateway.Auth;
using CustomerService.Gateway.Blocklist;
using CustomerService.Gateway.Limits;
using CustomerService.Gateway.Proxy;
using CustomerService.Gateway.RateLimiting;

namespace CustomerService.Gateway;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // The gateway keeps serving without Redis: the blocklist then stays as last loaded.
        builder.AddRedisClient("redis", configureOptions: redis => redis.AbortOnConnectFail = false);
        builder.Services.AddProblemDetails();
        RequestLimits.AddRequestLimits(builder);
        builder.AddGatewayAuthentication();
        builder.AddGatewayRateLimits();
        builder.AddBlocklist();
        builder.AddGatewayProxy();
    }
}
