using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Crm;
using CustomerService.TestInfrastructure;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>
/// The CRM adapter hosted in the test process exactly as its Program.cs hosts it (service defaults, the same
/// AddApplicationServices and endpoints, its appsettings.json), on free ports, with its logs captured.
/// </summary>
public sealed class CrmHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private CrmHost(WebApplication app, int grpcPort, LogSink logs)
    {
        _app = app;
        Logs = logs;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new CustomerProfiles.CustomerProfilesClient(_channel);
    }

    public CustomerProfiles.CustomerProfilesClient Client { get; }
    public LogSink Logs { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<CrmHost> StartAsync(string crmBaseUrl, string redisConnection, IDictionary<string, string?>? settings = null)
    {
        int httpPort = LocalServer.FreePort(), grpcPort = LocalServer.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "Crm",
            EnvironmentName = "Testing",
            ContentRootPath = Path.Combine(LocalServer.RepoRoot, "adapters", "Crm"),
        });
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
        builder.Configuration.AddInMemoryCollection(configuration);
        var logs = new LogSink();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);

        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapApplicationEndpoints();
        await app.StartAsync();
        return new CrmHost(app, grpcPort, logs);
    }

    /// <summary>The CRM circuit's state as the metric reports it (0 closed, 1 open, 2 half-open).</summary>
    public int CircuitStateMetric()
    {
        var factory = _app.Services.GetRequiredService<IMeterFactory>();
        int? state = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LegacyMetrics.MeterName && instrument.Meter.Scope == factory
                && instrument.Name == LegacyMetrics.CircuitStateInstrument)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: LegacyMetrics.SystemTag, Value: "crm" }) state = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return state ?? throw new InvalidOperationException("no circuit state measured for crm");
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Every log line of a host, for asserting what operators would see.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) sink._entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
