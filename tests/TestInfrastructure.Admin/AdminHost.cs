using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CustomerService.Admin.Accounts;
using CustomerService.Admin.Agents;
using CustomerService.Admin.Configuration;
using CustomerService.Admin.Data;
using CustomerService.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// One replica of the real Admin service in process: a WebApplication with the registrations Admin's Program uses
/// for its database, configuration API and ConfigStream (and, given a Redis, where agent changes announce token
/// revocations, its agents API), on loopback ports chosen once (HTTP/1.1 for the API, HTTP/2 for gRPC), so that it
/// can be stopped and started again where its subscribers look for it.
/// </summary>
public sealed class AdminHost : IAsyncDisposable
{
    private readonly string? _redis;
    private WebApplication? _app;

    private AdminHost(string connectionString, string? redis)
    {
        ConnectionString = connectionString;
        _redis = redis;
        Http = TestIdentity.Client(new Uri($"http://127.0.0.1:{HttpPort}"));
    }

    public string ConnectionString { get; }
    public int HttpPort { get; } = LocalServer.FreePort();
    public int GrpcPort { get; } = LocalServer.FreePort();
    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";
    public HttpClient Http { get; }

    /// <param name="connectionString">Admin's database (its schema is applied on start).</param>
    /// <param name="redis">A Redis connection string: with it the agents API is served too.</param>
    public static async Task<AdminHost> StartAsync(string connectionString, string? redis = null)
    {
        var host = new AdminHost(connectionString, redis);
        await host.StartAgainAsync();
        return host;
    }

    public async Task StartAgainAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:admindb"] = ConnectionString,
            ["ConnectionStrings:redis"] = _redis,
            ["urls"] = $"http://127.0.0.1:{HttpPort}",
            ["GRPC_PORT"] = GrpcPort.ToString(),
            ["Auth:InternalKey"] = TestIdentity.KeyBase64,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddAdminDatabase();
        builder.Services.AddProblemDetails();
        builder.AddConfigurationAdmin();
        if (_redis is not null)
        {
            builder.AddRedisClient("redis");
            builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
            builder.AddAgentDirectory();
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapConfigurationAdmin();
        if (_redis is not null) app.MapAgentsApi();
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

    /// <summary>Sends as user <c>{role}-of-{tenant}</c> of the tenant, named 测试 用户.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string tenant, string role = Roles.Admin,
        string? json = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IdentityHeaders.Tenant, tenant);
        request.Headers.Add(IdentityHeaders.User, $"{role}-of-{tenant}");
        request.Headers.Add(IdentityHeaders.Role, role);
        request.Headers.Add(IdentityHeaders.Name, Uri.EscapeDataString("测试 用户"));
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return await Http.SendAsync(request);
    }

    /// <summary>Sends as an admin of the tenant and returns the JSON answer; an error status fails, naming it and the body.</summary>
    public async Task<JsonElement> SendOkAsync(HttpMethod method, string path, string tenant, string? json = null)
    {
        using var response = await SendAsync(method, path, tenant, json: json);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {body}", null, response.StatusCode);
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Replaces a tenant's document as its admin would, through the Admin API, and returns its version.</summary>
    public async Task<long> PutAsync(string tenant, string section, string json) =>
        (await SendOkAsync(HttpMethod.Put, $"/api/admin/config/{section}", tenant, json)).GetProperty("version").GetInt64();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
    }
}
