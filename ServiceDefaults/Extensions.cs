using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using NATS.Client.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every service of the platform shares: telemetry to the dashboard, health endpoints, service discovery,
/// resilient HTTP and gRPC clients, and identity headers believed only when the gateway signed them.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Activity source for the platform's own spans (socket frames, NATS handlers, storage).</summary>
    public const string ActivitySourceName = "CustomerService";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddGrpcEndpoint();
        builder.AddDefaultHealthChecks();
        builder.AddInternalTrust();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // HttpClient logs four Information lines per request and the resilience pipeline two more ("Execution
        // attempt", "Resilience pipeline executed"): per conversation they outnumbered everything else the
        // dashboard stored under load. Warnings (retries, open circuits) and errors stay.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // Telemetry:Enabled=false: no tracer, meter or log exporter at all (ActivitySources without a listener create
        // no activities), so a load run can bound what telemetry costs against one with it (docs/performance.md).
        if (string.Equals(builder.Configuration["Telemetry:Enabled"], "false", StringComparison.OrdinalIgnoreCase)) return builder;
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNatsClientInstrumentation()
                .AddMeter(ActivitySourceName, "Microsoft.AspNetCore.Hosting", "Polly"))
            .WithTracing(tracing => tracing
                .AddProcessor(new PlumbingSpanFilter())
                .AddSource(builder.Environment.ApplicationName, ActivitySourceName)
                .AddAspNetCoreInstrumentation(o =>
                    // Health probes every few seconds would drown the traces people look for.
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments(HealthEndpointPath)
                                      && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNatsClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>/health: ready (every dependency answers); /alive: the process runs.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
