using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CustomerService.Admin.Accounts;
using CustomerService.Admin.Agents;
using CustomerService.Admin.Configuration;
using CustomerService.Admin.Data;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace CustomerService.Routing.Tests;

/// <summary>
/// The real Admin service in process (its database, configuration API, agents API and ConfigStream, registered as
/// its Program does) over a real PostgreSQL and Redis (where agent changes announce token revocations), on
/// loopback ports: HTTP/1.1 for the API, HTTP/2 for gRPC.
/// </summary>
public sealed class AdminHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminHost(WebApplication app, int httpPort, int grpcPort)
    {
        _app = app;
        Http = TestIdentity.Client(new Uri($"http://127.0.0.1:{httpPort}"));
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
    }

    public HttpClient Http { get; }
    public string GrpcAddress { get; }

    public static async Task<AdminHost> StartAsync(string connectionString, string redis)
    {
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:admindb"] = connectionString,
            ["ConnectionStrings:redis"] = redis,
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["GRPC_PORT"] = grpcPort.ToString(),
            ["Auth:InternalKey"] = TestIdentity.KeyBase64,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddAdminDatabase();
        builder.AddRedisClient("redis");
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        builder.AddConfigurationAdmin();
        builder.AddAgentDirectory();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapConfigurationAdmin();
        app.MapAgentsApi();
        await app.StartAsync();
        return new AdminHost(app, httpPort, grpcPort);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string tenant, string? json = null, string role = Roles.Admin)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IdentityHeaders.Tenant, tenant);
        request.Headers.Add(IdentityHeaders.User, $"admin-of-{tenant}");
        request.Headers.Add(IdentityHeaders.Role, role);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return await Http.SendAsync(request);
    }

    /// <summary>Sends as an admin of the tenant and returns the JSON answer, failing the test on an error status.</summary>
    public async Task<JsonElement> SendOkAsync(HttpMethod method, string path, string tenant, string? json = null)
    {
        using var response = await SendAsync(method, path, tenant, json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>PostgreSQL with the real Admin on it, and a redis-server: what a Routing replica on live configuration needs.</summary>
public sealed class LiveConfigFixture : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private RedisServer _redis = null!;

    public AdminHost Admin { get; private set; } = null!;
    public ConnectionMultiplexer Redis { get; private set; } = null!;
    public string AdminConnectionString => _postgres.ConnectionString("admindb");

    public async Task InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync("admindb");
        var redis = RedisServer.StartAsync();
        _postgres = await postgres;
        _redis = await redis;
        Admin = await AdminHost.StartAsync(AdminConnectionString, _redis.ConnectionString);
        Redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    /// <summary>A tenant row (agents belong to a tenant that exists).</summary>
    public async Task CreateTenantAsync(string tenant)
    {
        await using var db = NpgsqlDataSource.Create(AdminConnectionString);
        await using var insert = db.CreateCommand("INSERT INTO tenants (id, name) VALUES ($1, $1)");
        insert.Parameters.Add(new() { Value = tenant });
        await insert.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null) await Redis.DisposeAsync();
        if (Admin is not null) await Admin.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveConfigCollection : ICollectionFixture<LiveConfigFixture>
{
    public const string Name = "live-config";
}
