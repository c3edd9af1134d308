using Microsoft.Extensions.Configuration;
using CustomerService.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure: containers where a runtime answers (and always in the manifest), local executables otherwise.
// NATS refuses connections without a user: each service below connects as its own (WithNats, NatsUsers.cs).
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
    .WithNats(infra, nats, "admin")
    .WithReference(redis).WaitFor(redis);

// Routing: agents, skill groups, queues (presence and load in Redis). It has no NATS client, so no NATS user.
var routing = builder.AddService<Projects.Routing>("routing", grpc: true)
    .WithReference(redis).WaitFor(redis)
    .WithReference(admin);

// Adapters: each legacy system behind its own deployable service.
var crm = builder.AddService<Projects.Crm>("crm", grpc: true)
    .WithReference(redis).WaitFor(redis)
    .WithNats(infra, nats, "crm")
    .WithLegacySystem("crm-sim", "Crm__BaseUrl", infra.CrmSimulator);
var orders = builder.AddService<Projects.Orders>("orders", grpc: true)
    .Uses(ticketDb)
    .WithNats(infra, nats, "orders")
    .WithReference(rabbitMq).WaitFor(rabbitMq)
    .WithLegacySystem("orders-sim", "Orders__BaseUrl", infra.OrderSystemSimulator(rabbitMq));

// Webhooks: tenants' outgoing webhooks for conversation and message events (JetStream -> signed HTTP POSTs).
var webhooks = builder.AddService<Projects.Webhooks>("webhooks")
    .Uses(webhookDb)
    .WithNats(infra, nats, "webhooks");

// Session: customer and agent sockets, the conversation state machine, the message path.
var session = builder.AddService<Projects.Session>("session", replicas: builder.Configuration.GetValue("Session:Replicas", 1))
    .WithNats(infra, nats, "session")
    .WithReference(redis).WaitFor(redis)
    .WithReference(routing).WithReference(admin)
    .WithReference(crm).WithReference(orders);

// Bot: rules first, AI predictor second; hands off to Routing.
builder.AddService<Projects.Bot>("bot")
    .WithNats(infra, nats, "bot")
    .WithReference(redis).WaitFor(redis)
    .WithReference(admin).WithReference(routing);

// HistoryWriter: JetStream -> ClickHouse, and the history query API.
var history = builder.AddService<Projects.HistoryWriter>("historywriter")
    .WithNats(infra, nats, "historywriter");
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
