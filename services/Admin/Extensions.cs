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
        builder.Services.AddProblemDetails();
        builder.AddAccounts();
        builder.AddConfigurationAdmin();
        builder.AddAgentDirectory();
    }
}
