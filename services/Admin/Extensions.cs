using CustomerService.Admin.Accounts;
using CustomerService.Admin.Agents;
using CustomerService.Admin.Configuration;
using CustomerService.Admin.Data;

namespace CustomerService.Admin;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddAdminDatabase();
        // Token revocations are announced through Redis; Admin keeps working without it (they are resent from PostgreSQL).
        builder.AddRedisClient("redis", configureOptions: redis => redis.AbortOnConnectFail = false);
        builder.Services.AddProblemDetails();
        builder.AddAccounts();
        builder.AddConfigurationAdmin();
        builder.AddAgentDirectory();
    }
}
