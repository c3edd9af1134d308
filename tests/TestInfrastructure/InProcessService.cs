using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// A service of this repository hosted in the test process as its Program.cs hosts it: its content root (so its
/// appsettings.json), environment Testing, the internal key <see cref="TestIdentity.Key"/> and the given settings over
/// it, and every log line kept in <see cref="Logs"/>.
/// The caller adds the service's registrations and endpoints, as its Program.cs does.
/// </summary>
public sealed class InProcessService : IAsyncDisposable
{
    private InProcessService(WebApplication app, LogLines logs)
    {
        App = app;
        Logs = logs;
    }

    public WebApplication App { get; }
    public LogLines Logs { get; }
    public IServiceProvider Services => App.Services;

    /// <param name="folder">The project folder under the repository root, e.g. <c>adapters/Crm</c>.</param>
    public static async Task<InProcessService> StartAsync(string folder, IDictionary<string, string?> settings,
        Action<WebApplicationBuilder> addServices, Action<WebApplication> mapEndpoints)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = Path.GetFileName(folder),
            EnvironmentName = "Testing",
            ContentRootPath = Path.Combine(LocalServer.RepoRoot, folder),
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:InternalKey"] = TestIdentity.KeyBase64 });
        builder.Configuration.AddInMemoryCollection(settings);
        var logs = new LogLines();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        addServices(builder);
        var app = builder.Build();
        mapEndpoints(app);
        await app.StartAsync();
        return new InProcessService(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
