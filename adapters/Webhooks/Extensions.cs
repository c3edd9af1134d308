using CustomerService.Webhooks.Api;
using CustomerService.Webhooks.Delivery;
using CustomerService.Webhooks.Events;
using CustomerService.Webhooks.Registrations;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;

namespace CustomerService.Webhooks;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        // webhookdb, migrated by Data/Migrations before the consumers and the API start (hosted services start in order).
        builder.AddPostgresSchema("webhookdb", typeof(Extensions).Assembly, historyTable: "webhooks_schema_migrations");
        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<WebhookOptions>().Bind(builder.Configuration.GetSection(WebhookOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.AddSingleton<SubscriptionCache>();
        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton<DispatchSignal>();
        builder.Services.AddSingleton<NetworkFilter>();
        builder.Services.AddSingleton<CircuitBreakers>();

        // Receivers are the tenants' own servers: no redirects (a 3xx is a failed attempt), no cookies, no proxy, our
        // own retries and timeout instead of the defaults' standard resilience handler, and every connection made to
        // an address the network filter allows (checked on the resolved address itself: DNS rebinding).
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(Dispatcher.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectCallback = sp.GetRequiredService<NetworkFilter>().ConnectAsync,
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        foreach (var stream in new[] { ChatStreams.Events, ChatStreams.Messages })
            builder.Services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<EventConsumer>(sp, stream));
        builder.Services.AddHostedService<Dispatcher>();
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.MapWebhooksApi();
        return app;
    }
}
