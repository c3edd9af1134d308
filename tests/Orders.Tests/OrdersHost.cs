using CustomerService.AdapterKit.Resilience;
using CustomerService.Orders.LegacyOrderSystem;
using CustomerService.TestInfrastructure;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using OrdersClient = CustomerService.Contracts.Orders.OrdersClient;

namespace CustomerService.Orders.Tests;

/// <summary>
/// The Orders adapter hosted in the test process as its Program.cs hosts it (service defaults, AddApplicationServices,
/// the same endpoints and appsettings.json), on free ports, with its log lines kept for assertions.
/// </summary>
public sealed class OrdersHost : IAsyncDisposable
{
    private readonly InProcessService _service;
    private readonly GrpcChannel _channel;

    private OrdersHost(InProcessService service, int httpPort, int grpcPort)
    {
        _service = service;
        HttpPort = httpPort;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new OrdersClient(_channel);
    }

    public OrdersClient Client { get; }
    public int HttpPort { get; }
    public LogLines Logs => _service.Logs;
    public IServiceProvider Services => _service.Services;

    public static async Task<OrdersHost> StartAsync(IDictionary<string, string?> settings)
    {
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        var configuration = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["GRPC_PORT"] = grpcPort.ToString(),
        };
        foreach (var (key, value) in settings) configuration[key] = value;
        var service = await InProcessService.StartAsync("adapters/Orders", configuration,
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
        return new OrdersHost(service, httpPort, grpcPort);
    }

    /// <summary>The order system's circuit as the metric reports it: 0 closed, 1 open, 2 half-open.</summary>
    public int CircuitStateMetric() => ObservedGauge.Read(Services, LegacyMetrics.MeterName, LegacyMetrics.CircuitStateInstrument,
        LegacyMetrics.SystemTag, OrderSystemClient.SystemName);

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _service.DisposeAsync();
    }
}
