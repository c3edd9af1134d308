using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Crm;
using CustomerService.TestInfrastructure;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>
/// The CRM adapter hosted in the test process exactly as its Program.cs hosts it (service defaults, the same
/// AddApplicationServices and endpoints, its appsettings.json), on free ports, with its logs captured.
/// </summary>
public sealed class CrmHost : IAsyncDisposable
{
    private readonly InProcessService _service;
    private readonly GrpcChannel _channel;

    private CrmHost(InProcessService service, int grpcPort)
    {
        _service = service;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new CustomerProfiles.CustomerProfilesClient(_channel);
    }

    public CustomerProfiles.CustomerProfilesClient Client { get; }
    public LogLines Logs => _service.Logs;
    public IServiceProvider Services => _service.Services;

    public static async Task<CrmHost> StartAsync(string crmBaseUrl, string redisConnection, IDictionary<string, string?>? settings = null)
    {
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        var configuration = new Dictionary<string, string?>
        {
            // The adapter publishes nothing on NATS yet; the client connects lazily, so no server is needed here.
            ["ConnectionStrings:nats"] = "nats://127.0.0.1:1",
            ["ConnectionStrings:redis"] = redisConnection,
            ["Crm:BaseUrl"] = crmBaseUrl,
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["GRPC_PORT"] = grpcPort.ToString(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) configuration[key] = value;
        var service = await InProcessService.StartAsync("adapters/Crm", configuration,
            builder =>
            {
                builder.AddServiceDefaults();
                builder.AddApplicationServices();
            },
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapApplicationEndpoints();
            });
        return new CrmHost(service, grpcPort);
    }

    /// <summary>The CRM circuit's state as the metric reports it (0 closed, 1 open, 2 half-open).</summary>
    public int CircuitStateMetric() =>
        ObservedGauge.Read(Services, LegacyMetrics.MeterName, LegacyMetrics.CircuitStateInstrument, LegacyMetrics.SystemTag, "crm");

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _service.DisposeAsync();
    }
}
