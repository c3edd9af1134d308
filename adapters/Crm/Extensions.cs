using CustomerService.AdapterKit.Mapping;
using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Crm.Grpc;
using CustomerService.Crm.LegacyCrm;
using CustomerService.Crm.Profiles;
using Microsoft.Extensions.Options;

namespace CustomerService.Crm;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddRedisClient("redis");

        builder.Services.AddOptions<CrmOptions>().Bind(builder.Configuration.GetSection(CrmOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CrmOptions>, CrmOptionsValidator>();

        // The legacy pipeline (LegacySystem) bounds every call, so the defaults' standard handler would only
        // add a second set of retries and timeouts.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(CrmClient.HttpClientName, (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<CrmOptions>>().Value;
                http.BaseAddress = options.BaseAddress;
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.MaxResponseContentBufferSize = options.MaxRecordBytes;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        builder.Services.AddSingleton<CrmClient>();
        builder.Services.AddLegacySystem<CustomerProfile>(CrmClient.SystemName, builder.Configuration.GetSection("Crm:Resilience"));
        builder.Services.AddLegacyMapping<CustomerProfile>(builder.Configuration.GetSection("Crm:Mapping"));
        builder.Services.AddSingleton<ProfileCache>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProfileCache>());
        builder.Services.AddSingleton<ProfileLookup>();
        builder.Services.AddGrpc();
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.MapGrpcService<CustomerProfilesService>();
        return app;
    }
}
