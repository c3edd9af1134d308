using CustomerService.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.Webhooks.Tests;

/// <summary>The webhooks adapter hosted in the test process as its Program.cs hosts it, on a free port.</summary>
public sealed class WebhooksHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private WebhooksHost(WebApplication app, int port)
    {
        _app = app;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<WebhooksHost> StartAsync(IDictionary<string, string?> settings)
    {
        int port = LocalServer.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "Webhooks",
            EnvironmentName = "Testing",
            ContentRootPath = Path.Combine(LocalServer.RepoRoot, "adapters", "Webhooks"),
        });
        var configuration = new Dictionary<string, string?> { ["urls"] = $"http://127.0.0.1:{port}", ["Auth:InternalKey"] = TestIdentity.KeyBase64 };
        foreach (var (key, value) in settings) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapApplicationEndpoints();
        await app.StartAsync();
        return new WebhooksHost(app, port);
    }

    /// <summary>An API client as the gateway calls the service: identity headers of the given tenant and role, signed.</summary>
    public HttpClient Api(string tenant, string role = "admin", string user = "admin-1")
    {
        var http = TestIdentity.Client(BaseAddress);
        http.DefaultRequestHeaders.Add("X-CS-Tenant", tenant);
        http.DefaultRequestHeaders.Add("X-CS-User", user);
        http.DefaultRequestHeaders.Add("X-CS-Role", role);
        return http;
    }

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
