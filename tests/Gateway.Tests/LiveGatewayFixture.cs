using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Two gateway replicas subscribed to the real Admin service, built and started alone as a process over a real
/// PostgreSQL (and NATS and Redis, which Admin needs; the demo tenant seeded), with Redis and the stand-in downstream
/// as in <see cref="GatewayFixture"/>, and the real Session service as a process for tests that open sockets
/// through a gateway of their own (<see cref="StartGatewayToServices"/>). Admin keeps its gRPC port across a
/// restart, so the replicas find it again where they look.
/// </summary>
public sealed class LiveGatewayFixture : IAsyncLifetime
{
    private NatsServer _nats = null!;
    private PostgresServer _postgres = null!;

    public RedisServer Redis { get; private set; } = null!;
    public Downstream Downstream { get; private set; } = null!;
    public ServiceProcess Admin { get; private set; } = null!;
    public ServiceProcess Session { get; private set; } = null!;
    public int AdminGrpcPort { get; } = LocalServer.FreePort();
    public GatewayHost[] Gateways { get; private set; } = [];
    public Tokens Tokens { get; } = new(RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync()
    {
        var nats = NatsServer.StartAsync();
        var postgres = PostgresServer.StartAsync("admindb");
        var redis = RedisServer.StartAsync();
        var downstream = Downstream.StartAsync();
        _nats = await nats;
        _postgres = await postgres;
        Redis = await redis;
        Downstream = await downstream;
        await StartAdminAsync();
        Session = ServiceProcess.Start("services/Session", new Dictionary<string, string>
        {
            ["ConnectionStrings__nats"] = _nats.Url,
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["LiveConfig__Address"] = $"http://127.0.0.1:{AdminGrpcPort}",
        });
        await Session.WaitHealthyAsync();
        Gateways = [StartGateway("gateway-1"), StartGateway("gateway-2")];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var gateway in Gateways) await Live(gateway).WaitUntilLoadedAsync(timeout.Token);
    }

    public async Task StartAdminAsync()
    {
        Admin = ServiceProcess.Start("services/Admin", AdminEnvironment(AdminGrpcPort));
        await Admin.WaitHealthyAsync();
    }

    /// <summary>A second Admin process on the same database and servers, on ports of its own, with <paramref name="overrides"/>.</summary>
    public async Task<ServiceProcess> StartAnotherAdminAsync(IReadOnlyDictionary<string, string> overrides)
    {
        var environment = AdminEnvironment(LocalServer.FreePort());
        foreach (var (key, value) in overrides) environment[key] = value;
        var admin = ServiceProcess.Start("services/Admin", environment);
        await admin.WaitHealthyAsync();
        return admin;
    }

    private Dictionary<string, string> AdminEnvironment(int grpcPort) => new()
    {
        ["ConnectionStrings__admindb"] = _postgres.ConnectionString("admindb"),
        ["ConnectionStrings__nats"] = _nats.Url,
        ["ConnectionStrings__redis"] = Redis.ConnectionString,
        ["GRPC_PORT"] = grpcPort.ToString(),
        ["Seed__Demo"] = "true",
        // Revocations that Redis missed are resent from PostgreSQL this often (30 s by default).
        ["Auth__RevocationResendInterval"] = "00:00:01",
        ["Auth__SigningKey"] = Convert.ToBase64String(Tokens.SigningKey),
    };

    public async Task StopAdminAsync() => await Admin.DisposeAsync();

    public static ILiveConfig Live(GatewayHost gateway) => gateway.Services.GetRequiredService<ILiveConfig>();

    private GatewayHost StartGateway(string name)
    {
        var settings = GatewayHost.UnthrottledSettings(Tokens.SigningKey, Redis.ConnectionString,
            Downstream.Address, Downstream.Address, Downstream.Address, Downstream.Address);
        // What the AppHost's WithReference(admin) gives the gateway: Admin's gRPC endpoint for service discovery.
        settings["services:admin:grpc:0"] = $"http://127.0.0.1:{AdminGrpcPort}";
        settings["LiveConfig:Subscriber"] = name;
        settings["LiveConfig:InitialReconnectDelay"] = "00:00:00.100";
        settings["LiveConfig:MaxReconnectDelay"] = "00:00:01";
        return GatewayHost.Start(settings);
    }

    /// <summary>
    /// A gateway in front of the real Admin (sign-in, agents) and Session (sockets), HistoryWriter's part played by
    /// the stand-in downstream. Started per test: Admin's HTTP port changes when a test restarts it.
    /// </summary>
    public GatewayHost StartGatewayToServices(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = GatewayHost.UnthrottledSettings(Tokens.SigningKey, Redis.ConnectionString,
            Session.BaseAddress, Admin.BaseAddress, Downstream.Address, Downstream.Address);
        settings["services:admin:grpc:0"] = $"http://127.0.0.1:{AdminGrpcPort}";
        settings["LiveConfig:Subscriber"] = "gateway-to-services";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return GatewayHost.Start(settings);
    }

    /// <summary>Sends to Admin's configuration API as the gateway would for an admin of the tenant.</summary>
    public async Task<HttpResponseMessage> SendAdminAsync(HttpMethod method, string tenant, string? json = null)
    {
        using var http = TestIdentity.Client(Admin.BaseAddress);
        using var request = new HttpRequestMessage(method, "/api/admin/config/" + ConfigSections.Gateway);
        request.Headers.Add(IdentityHeaders.Tenant, tenant);
        request.Headers.Add(IdentityHeaders.User, "admin-of-" + tenant);
        request.Headers.Add(IdentityHeaders.Role, Roles.Admin);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return await http.SendAsync(request);
    }

    /// <summary>PUTs the tenant's gateway document; returns its version.</summary>
    public async Task<long> PutAsync(string tenant, string json)
    {
        using var response = await SendAdminAsync(HttpMethod.Put, tenant, json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT gateway: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("version").GetInt64();
    }

    /// <summary>Waits until both replicas run with <paramref name="version"/> or later.</summary>
    public Task WaitForVersionAsync(long version, TimeSpan patience) =>
        Eventually.UntilAsync(() => Gateways.All(g => Live(g).Current.Version >= version), $"both gateways at version {version}", patience,
            TimeSpan.FromMilliseconds(5), context: () => $"gateways at {string.Join(", ", Gateways.Select(g => Live(g).Current.Version))}");

    public async Task DisposeAsync()
    {
        foreach (var gateway in Gateways) await gateway.DisposeAsync();
        if (Session is not null) await Session.DisposeAsync();
        if (Admin is not null) await Admin.DisposeAsync();
        if (Downstream is not null) await Downstream.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        if (_nats is not null) await _nats.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveGatewayCollection : ICollectionFixture<LiveGatewayFixture>
{
    public const string Name = "live-gateway";
}
