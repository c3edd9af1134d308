using CustomerService.AdapterKit.Mapping;
using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Orders.Grpc;
using CustomerService.Orders.LegacyOrderSystem;
using CustomerService.Orders.RecentOrders;
using CustomerService.Orders.Tickets;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OrderList = CustomerService.Contracts.RecentOrders;

namespace CustomerService.Orders;

internal static class Extensions
{
    public const string BusHealthCheckName = "rabbitmq-bus";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        // Tickets and their outbox; migrated on start by the embedded Data/Migrations scripts.
        builder.AddPostgresSchema("ticketdb", typeof(Extensions).Assembly, historyTable: "orders_schema_migrations");
        builder.AddRecentOrders();
        builder.AddTickets();
        builder.Services.AddGrpc();
    }

    public static WebApplication MapApplicationEndpoints(this WebApplication app)
    {
        app.MapGrpcService<OrdersService>();
        return app;
    }

    /// <summary>GetRecentOrders: the order system's REST API behind the legacy pipeline, mapped per tenant.</summary>
    private static void AddRecentOrders(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(OrderSystemOptions.Section);
        builder.Services.AddOptions<OrderSystemOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<OrderSystemOptions>, OrderSystemOptionsValidator>();
        builder.Services.AddOptions<OrderRecordShapes>().Bind(section.GetSection("Records"))
            .Validate(shapes => shapes.Problems().Count == 0, "Orders:Records is not usable (see the listed problems)")
            .ValidateOnStart();

        // The legacy pipeline bounds every call, so the defaults' standard handler would only add a second set of
        // retries and timeouts.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(OrderSystemClient.HttpClientName, (sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<OrderSystemOptions>>().Value;
                http.BaseAddress = options.BaseAddress;
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.MaxResponseContentBufferSize = options.MaxAnswerBytes;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        builder.Services.AddSingleton<OrderSystemClient>();
        builder.Services.AddLegacySystem<OrderList>(OrderSystemClient.SystemName, section.GetSection("Resilience"));
        builder.Services.AddLegacyMapping<Order>(section.GetSection("Mapping"));
        builder.Services.AddSingleton<OrderAnswerMapper>();
        builder.Services.AddSingleton<RecentOrdersCache>();
        builder.Services.AddSingleton<RecentOrdersLookup>();
    }

    /// <summary>Tickets: NATS (TICKETS stream) → ticketdb → RabbitMQ (MassTransit, raw JSON) → the order system and back.</summary>
    private static void AddTickets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TicketOptions>().Bind(builder.Configuration.GetSection(TicketOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TicketOptions>, TicketOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services.AddSingleton<TicketStore>();
        builder.Services.AddSingleton<TicketResultPublisher>();
        builder.Services.AddSingleton<WorkOrderSender>();
        builder.Services.AddHostedService<TicketRequestListener>();
        builder.Services.AddHostedService<TicketResultSweeper>();

        var rabbit = RabbitMqConnection.Parse(builder.Configuration.GetConnectionString("rabbitmq"));
        var tickets = builder.Configuration.GetSection(TicketOptions.Section).Get<TicketOptions>() ?? new TicketOptions();
        builder.Services.AddMassTransit(bus =>
        {
            // Readiness, not liveness (/alive leaves it out): while RabbitMQ is unreachable (booting, or down) the
            // adapter still serves GetRecentOrders and tickets wait in JetStream, so /health says Degraded (HTTP 200,
            // with the bus's endpoints in the check's data) instead of Unhealthy; Healthy once the bus is connected.
            bus.ConfigureHealthCheckOptions(health =>
            {
                health.Name = BusHealthCheckName;
                health.MinimalFailureStatus = HealthStatus.Degraded;
                health.Tags.Add("ready");
            });
            bus.AddConsumer<WorkOrderResultConsumer>();
            bus.UsingRabbitMq((context, transport) =>
            {
                transport.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, host =>
                {
                    host.Username(rabbit.Username);
                    host.Password(rabbit.Password);
                });
                // Plain JSON both ways: the order system is not .NET and knows no MassTransit envelope.
                transport.UseRawJsonSerializer(isDefault: true);
                transport.ReceiveEndpoint(tickets.ResultsQueue, endpoint =>
                {
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.UseRawJsonDeserializer(isDefault: true);
                    endpoint.PrefetchCount = 16;
                    // ticketdb unreachable: try the answer again for about two minutes before it goes to the
                    // _error queue, where an operator can move it back.
                    endpoint.UseMessageRetry(retry => retry.Intervals(200, 1000, 2000, 5000, 10_000, 15_000, 30_000, 30_000, 30_000));
                    endpoint.ConfigureConsumer<WorkOrderResultConsumer>(context);
                });
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(host =>
        {
            // The service starts (and serves GetRecentOrders) while RabbitMQ is down; tickets wait in JetStream.
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(10);
        });
    }
}
