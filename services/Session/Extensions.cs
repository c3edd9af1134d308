using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.Session.Conversations;
using CustomerService.Session.Messaging;
using CustomerService.Session.Sockets;
using CustomerService.Session.Tickets;

namespace CustomerService.Session;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddRedisClient("redis");
        builder.AddTokenRevocations();
        builder.Services.AddServiceGrpcClient<Routing.RoutingClient>("http://_grpc.routing");
        builder.Services.AddServiceGrpcClient<CustomerProfiles.CustomerProfilesClient>("http://_grpc.crm");
        builder.Services.AddServiceGrpcClient<Orders.OrdersClient>("http://_grpc.orders");
        builder.AddLiveConfig(ConfigSections.SensitiveWords, ConfigSections.FeatureFlags, ConfigSections.TenantSettings);

        builder.Services.AddOptions<SessionOptions>().BindConfiguration("Session")
            .Validate(o => o.CustomerFramesPerSecond > 0 && o.CustomerFrameBurst >= 1 && o.StaffFramesPerSecond > 0 && o.StaffFrameBurst >= 1,
                "Session frame budgets: rates must be positive and bursts at least 1 frame.")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<SocketRevocations>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SocketRevocations>());
        builder.Services.AddSingleton<JoinProbe>();
        builder.Services.AddSingleton<RedisIncarnation>();
        builder.Services.AddSingleton<StoredSequences>();
        builder.Services.AddSingleton<ConversationStore>();
        builder.Services.AddSingleton<ConversationHistory>();
        builder.Services.AddSingleton<ChatBus>();
        builder.Services.AddSingleton<TenantPolicies>();
        builder.Services.AddSingleton<MessageScreening>();
        builder.Services.AddSingleton<CustomerContextPreloader>();
        builder.Services.AddSingleton<ShortMessageMerger>();
        builder.Services.AddSingleton<AgentPresence>();
        builder.Services.AddSingleton<QueueWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueWatcher>());
        builder.Services.AddScoped<ConversationService>();
        builder.Services.AddScoped<SocketSession>();
        builder.Services.AddSingleton<DeliveryReadiness>();
        builder.Services.AddHealthChecks().AddCheck<DeliveryReadiness>("deliveries", tags: ["ready"]);
        builder.Services.AddHostedService<DeliveryListener>();
        builder.Services.AddHostedService<SessionCommands>();
        builder.Services.AddSingleton<TicketDesk>();
        builder.Services.AddHostedService<TicketResultListener>();
    }
}
