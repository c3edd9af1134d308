using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CustomerService.AdapterKit.Resilience;
using CustomerService.Orders.LegacyOrderSystem;
using CustomerService.TestInfrastructure;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrdersClient = CustomerService.Contracts.Orders.OrdersClient;

namespace CustomerService.Orders.Tests;

/// <summary>
/// The Orders adapter hosted in the test process as its Program.cs hosts it (service defaults, AddApplicationServices,
/// the same endpoints and appsettings.json), on free ports, with its log lines kept for assertions.
/// </summary>
public sealed class OrdersHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private OrdersHost(WebApplication app, int httpPort, int grpcPort, LogLines logs)
    {
        _app = app;
        HttpPort = httpPort;
        Logs = logs;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new OrdersClient(_channel);
    }

    public OrdersClient Client { get; }
    public int HttpPort { get; }
    public LogLines Logs { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<OrdersHost> StartAsync(IDictionary<string, string?> settings)
    {
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "Orders",
            EnvironmentName = "Testing",
            ContentRootPath = Path.Combine(LocalServer.RepoRoot, "adapters", "Orders"),
        });
        var configuration = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["GRPC_PORT"] = grpcPort.ToString(),
        };
        foreach (var (key, value) in settings) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        var logs = new LogLines();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);

        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapApplicationEndpoints();
        await app.StartAsync();
        return new OrdersHost(app, httpPort, grpcPort, logs);
    }

    /// <summary>The order system's circuit as the metric reports it: 0 closed, 1 open, 2 half-open.</summary>
    public int CircuitStateMetric()
    {
        var meters = _app.Services.GetRequiredService<IMeterFactory>();
        int? state = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LegacyMetrics.MeterName && instrument.Meter.Scope == meters
                && instrument.Name == LegacyMetrics.CircuitStateInstrument)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == LegacyMetrics.SystemTag && Equals(tag.Value, OrderSystemClient.SystemName)) state = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return state ?? throw new InvalidOperationException("no circuit state measured for the order system");
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Every log line of a host at Information and above.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> All => _lines.ToArray();

    public bool Any(Func<string, bool> match) => _lines.Any(l => match(l.Message));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogLines lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) lines._lines.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
