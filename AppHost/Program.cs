using Microsoft.Extensions.Configuration;
using CustomerService.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure: containers where a runtime answers (and always in the manifest), local executables otherwise.
var infra = Infrastructure.Choose(builder);
var nats = infra.AddNats("nats");
var redis = infra.AddRedis("redis");
var adminDb = infra.AddPostgresDatabase("admindb");
var ticketDb = infra.AddPostgresDatabase("ticketdb");
var webhookDb = infra.AddPostgresDatabase("webhookdb");
var rabbitMq = infra.AddRabbitMq("rabbitmq");
var signingKey = builder.AddSigningKey(infra);
var internalKey = builder.AddInternalKey(infra);

// Admin: tenants, accounts, tokens and live configuration (PostgreSQL is the source of truth); announces token
// revocations through Redis.
var admin = builder.AddService<Projects.Admin>("admin", grpc: true)
    .WithEnvironment("Auth__SigningKey", signingKey)
    .Uses(adminDb)
    .WithReference(nats).WaitFor(nats)
    .WithReference(redis).WaitFor(redis);

// Routing: agents, skill groups, queues (presence and load in Redis).
var routing = builder.AddService<Projects.Routing>("routing", grpc: true)
    .WithReference(redis).WaitFor(redis)
    .WithReference(nats).WaitFor(nats)
    .WithReference(admin);

// Adapters: each legacy system behind its own deployable service.
var crm = builder.AddService<Projects.Crm>("crm", grpc: true)
    .WithReference(redis).WaitFor(redis)
    .WithReference(nats).WaitFor(nats)
    .WithLegacySystem("crm-sim", "Crm__BaseUrl", infra.CrmSimulator);
var orders = builder.AddService<Projects.Orders>("orders", grpc: true)
    .Uses(ticketDb)
    .WithReference(nats).WaitFor(nats)
    .WithReference(rabbitMq).WaitFor(rabbitMq)
    .WithLegacySystem("orders-sim", "Orders__BaseUrl", infra.OrderSystemSimulator(rabbitMq));

// Webhooks: tenants' outgoing webhooks for conversation and message events (JetStream -> signed HTTP POSTs).
var webhooks = builder.AddService<Projects.Webhooks>("webhooks")
    .Uses(webhookDb)
    .WithReference(nats).WaitFor(nats);

// Session: customer and agent sockets, the conversation state machine, the message path.
var session = builder.AddService<Projects.Session>("session", replicas: builder.Configuration.GetValue("Session:Replicas", 1))
    .WithReference(nats).WaitFor(nats)
    .WithReference(redis).WaitFor(redis)
    .WithReference(routing).WithReference(admin)
    .WithReference(crm).WithReference(orders);

// Bot: rules first, AI predictor second; hands off to Routing.
builder.AddService<Projects.Bot>("bot")
    .WithReference(nats).WaitFor(nats)
    .WithReference(redis).WaitFor(redis)
    .WithReference(admin).WithReference(routing);

// HistoryWriter: JetStream -> ClickHouse, and the history query API.
var history = builder.AddService<Projects.HistoryWriter>("historywriter")
    .WithReference(nats).WaitFor(nats);
if (!builder.ExecutionContext.IsPublishMode)
    history.WithEnvironment("History__DataDir", Path.Combine(infra.DataDirectory, "clickhouse"));

// Web: the landing page, the chat widget, the agent console and the admin pages.
var web = builder.AddService<Projects.Web>("web");

// Gateway: the one external endpoint (JWT, rate limits, YARP routes); Gateway:Replicas processes share its port.
foreach (var gateway in builder.AddGatewayTier(infra.GatewayPort, builder.Configuration.GetValue("Gateway:Replicas", 1)))
    gateway.WithExternalHttpEndpoints()
        .WithEnvironment("Auth__SigningKey", signingKey)
        .WithReference(redis).WaitFor(redis)
        .WithReference(session).WithReference(admin).WithReference(history).WithReference(web).WithReference(webhooks).WithReference(routing)
        .WaitFor(session).WaitFor(admin);

// Internal trust: the gateway signs the identity headers it sets with this key, and every service refuses (401)
// identity headers without a valid signature, so a request straight to a service port cannot claim to be anyone.
builder.WithKeyInEveryService("Auth__InternalKey", internalKey);

builder.Build().Run();
