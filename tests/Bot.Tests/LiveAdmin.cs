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

namespace CustomerService.Bot.Tests;

/// <summary>
/// NATS, Redis, PostgreSQL and the real Admin service in process (database, configuration API and ConfigStream, as
/// its Program registers them): what a Bot on live configuration talks to.
/// </summary>
public sealed class LiveAdmin : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private WebApplication _admin = null!;

    public Servers Servers { get; } = new();
    public HttpClient Http { get; private set; } = null!;
    public string GrpcAddress { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var servers = Servers.InitializeAsync();
        _postgres = await PostgresServer.StartAsync("admindb");
        await servers;

        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:admindb"] = _postgres.ConnectionString("admindb"),
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["GRPC_PORT"] = grpcPort.ToString(),
            ["Auth:InternalKey"] = TestIdentity.KeyBase64,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddAdminDatabase();
        builder.Services.AddProblemDetails();
        builder.AddConfigurationAdmin();
        _admin = builder.Build();
        _admin.UseExceptionHandler();
        _admin.MapConfigurationAdmin();
        await _admin.StartAsync();
        Http = TestIdentity.Client(new Uri($"http://127.0.0.1:{httpPort}"));
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
    }

    /// <summary>Replaces a tenant's document as its admin would, through the Admin API.</summary>
    public async Task PutAsync(string tenant, string section, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/admin/config/{section}")
        {
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add(IdentityHeaders.Tenant, tenant);
        request.Headers.Add(IdentityHeaders.User, "admin-1");
        request.Headers.Add(IdentityHeaders.Role, Roles.Admin);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"PUT {section}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_admin is not null)
        {
            await _admin.StopAsync();
            await _admin.DisposeAsync();
        }
        if (_postgres is not null) await _postgres.DisposeAsync();
        await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveAdminCollection : ICollectionFixture<LiveAdmin>
{
    public const string Name = "live-admin";
}
