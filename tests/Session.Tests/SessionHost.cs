using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomerService.Session.Tests;

/// <summary>
/// Session hosted in the test process as its Program.cs hosts it (service defaults, AddApplicationServices, the
/// socket endpoints), on a free port, against the given NATS and Redis. Routing and Admin are not running: the
/// tests here create conversations in the store directly and never ask Routing.
/// </summary>
public sealed class SessionHost : IAsyncDisposable
{
    private readonly InProcessService _service;

    private SessionHost(InProcessService service, int port)
    {
        _service = service;
        Port = port;
    }

    public int Port { get; }
    public LogLines Logs => _service.Logs;
    public IServiceProvider Services => _service.Services;

    /// <param name="services">Registrations over the service's own (a test's <see cref="Sockets.JoinProbe"/>).</param>
    /// <param name="listening">Waits until the replica listens to deliveries (it refuses sockets until then).</param>
    public static async Task<SessionHost> StartAsync(string natsUrl, string redis, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null, bool listening = true)
    {
        int port = LocalServer.FreePort();
        var configuration = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings:nats"] = natsUrl,
            ["ConnectionStrings:redis"] = redis,
            // Nobody listens there: live configuration stays empty (no sensitive words, no flags, no bot-first).
            ["LiveConfig:Address"] = $"http://127.0.0.1:{LocalServer.FreePort()}",
        };
        if (settings is not null) foreach (var (key, value) in settings) configuration[key] = value;
        var service = await InProcessService.StartAsync("services/Session", configuration,
            builder =>
            {
                builder.AddServiceDefaults();
                builder.AddApplicationServices();
                services?.Invoke(builder.Services);
            },
            app =>
            {
                app.UseWebSockets();
                app.MapDefaultEndpoints();
                Apis.SocketEndpoints.MapChatSockets(app);
            });
        var host = new SessionHost(service, port);
        if (listening)
            await Eventually.UntilAsync(() => host.Get<Messaging.DeliveryReadiness>().Ready, "Session listening to deliveries",
                TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
        return host;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>A socket as the gateway would open it for this identity (the identity headers set).</summary>
    public Task<TestSocket> ConnectAsync(string tenant, string user, string role, string? name = null) =>
        TestSocket.ConnectAsync(new Uri($"http://127.0.0.1:{Port}"), tenant, user, role, name);

    /// <summary>
    /// A conversation of visitor <paramref name="visitor"/> assigned to <paramref name="agent"/> (put straight into
    /// Redis, no Routing), and the visitor's socket after its hello.
    /// </summary>
    public async Task<(Conversations.Conversation Conversation, TestSocket Customer)> AssignedConversationAsync(string tenant, string visitor, string agent)
    {
        var store = Get<Conversations.ConversationStore>();
        var conversation = await store.CreateAsync(tenant, visitor, $"Visitor {visitor}", "/", "en");
        if (await store.MoveAsync(tenant, conversation.Id, Conversations.ConversationStates.Queued) is null
            || await store.MoveAsync(tenant, conversation.Id, Conversations.ConversationStates.Assigned, agent, agent, "general") is null)
            throw new InvalidOperationException("the conversation could not be assigned");
        var customer = await ConnectAsync(tenant, visitor, Contracts.Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");
        return (conversation, customer);
    }

    public ValueTask DisposeAsync() => _service.DisposeAsync();
}

/// <summary>
/// Real nats-server and redis-server, and Session hosted against them with a test's settings and registrations: the
/// base of a test class's fixture.
/// </summary>
public abstract class SessionOnServers(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) : IAsyncLifetime
{
    public NatsServer Nats { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public SessionHost Host { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Nats = await NatsServer.StartAsync();
        Redis = await RedisServer.StartAsync();
        Host = await SessionHost.StartAsync(Nats.Url, Redis.ConnectionString, settings, services);
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Nats is not null) await Nats.DisposeAsync();
    }
}
