using System.Net.Http.Headers;
using System.Text;
using CustomerService.Admin.Configuration;
using CustomerService.Admin.Data;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.LiveConfig.Tests;

/// <summary>
/// One Admin replica in process: a WebApplication with the registration Admin's Program uses for its database
/// and configuration, on fixed loopback ports (HTTP/1.1 for the API, HTTP/2 for gRPC) so that it can be
/// stopped and started again where its subscribers look for it.
/// </summary>
public sealed class AdminHost : IAsyncDisposable
{
    private WebApplication? _app;

    private AdminHost(string connectionString)
    {
        ConnectionString = connectionString;
        Http = TestIdentity.Client(new Uri($"http://127.0.0.1:{HttpPort}"));
    }

    public string ConnectionString { get; }
    public int HttpPort { get; } = LocalServer.FreePort();
    public int GrpcPort { get; } = LocalServer.FreePort();
    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";
    public HttpClient Http { get; }

    public static async Task<AdminHost> StartAsync(string connectionString)
    {
        var host = new AdminHost(connectionString);
        await host.StartAgainAsync();
        return host;
    }

    public async Task StartAgainAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:admindb"] = ConnectionString,
            ["urls"] = $"http://127.0.0.1:{HttpPort}",
            ["GRPC_PORT"] = GrpcPort.ToString(),
            ["Auth:InternalKey"] = TestIdentity.KeyBase64,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddAdminDatabase();
        builder.Services.AddProblemDetails();
        builder.AddConfigurationAdmin();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapConfigurationAdmin();
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string tenant, string role, string? json = null, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IdentityHeaders.Tenant, tenant);
        request.Headers.Add(IdentityHeaders.User, $"{role}-of-{tenant}");
        request.Headers.Add(IdentityHeaders.Role, role);
        request.Headers.Add(IdentityHeaders.Name, Uri.EscapeDataString("测试 用户"));
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return Http.SendAsync(request);
    }

    /// <summary>PUTs a document as an admin and returns its version.</summary>
    public async Task<long> PutAsync(string tenant, string section, string json)
    {
        using var response = await SendAsync(HttpMethod.Put, $"/api/admin/config/{section}", tenant, Roles.Admin, json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT {section}: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("version").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
    }
}

/// <summary>
/// One PostgreSQL for the test run, with a database for the API tests (served by <see cref="Admin"/>, one replica
/// for all of them) and one for the watcher tests, which start and stop replicas of their own.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ApiDatabase = "config_api";
    public const string WatchDatabase = "config_watch";

    public PostgresServer Server { get; private set; } = null!;
    public AdminHost Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.StartAsync(ApiDatabase, WatchDatabase);
        Admin = await AdminHost.StartAsync(Server.ConnectionString(ApiDatabase));
    }

    public async Task DisposeAsync()
    {
        await Admin.DisposeAsync();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
