using ClickHouse.Driver;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Apis;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.History;
using CustomerService.HistoryWriter.Storage;
using CustomerService.HistoryWriter.Storage.Chdb;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CustomerService.HistoryWriter;

internal static class Extensions
{
    /// <summary>Connection string naming a ClickHouse server; without it history lives in the embedded engine.</summary>
    public const string ClickHouseConnectionName = "clickhouse";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.Services.AddOptions<HistoryOptions>().BindConfiguration(HistoryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);

        var serverConnection = builder.Configuration.GetConnectionString(ClickHouseConnectionName);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton<IHistoryDatabase>(sp =>
        {
            if (!string.IsNullOrWhiteSpace(serverConnection)) return new ServerHistoryDatabase(new ClickHouseClient(serverConnection));
            var options = sp.GetRequiredService<IOptions<HistoryOptions>>().Value;
            var dataDirectory = options.DataDir is { Length: > 0 } dir ? dir : Path.Combine(contentRoot, ".data", "history");
            return EmbeddedHistoryDatabase.Open(ChdbLibrary.Locate(options.ChdbLibrary), dataDirectory);
        });
        builder.Services.AddSingleton(sp => new HistorySchema(sp.GetRequiredService<IOptions<HistoryOptions>>().Value.Database));
        builder.Services.AddSingleton<HistoryStore>();
        builder.Services.AddSingleton<TenantRetention>();
        builder.Services.AddSingleton<ParkingLot>();
        builder.Services.AddSingleton<ParkedReplay>();
        builder.Services.AddSingleton(sp => new HistoryQueries(sp.GetRequiredService<HistoryStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<HistoryOptions>>().Value.QueryTimeout));

        builder.Services.AddSingleton<IArchivedStream<ChatMessage>, ArchivedMessages>();
        builder.Services.AddSingleton<IArchivedStream<ConversationEvent>, ArchivedEvents>();
        builder.Services.AddHostedService<ArchiveConsumer<ChatMessage>>();
        builder.Services.AddHostedService<ArchiveConsumer<ConversationEvent>>();

        builder.Services.AddSingleton<ArchiveBacklogWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ArchiveBacklogWatch>());

        builder.Services.AddHealthChecks().AddCheck<HistoryHealthCheck>("history", tags: ["ready"])
            .Add(new HealthCheckRegistration("archive-backlog", sp => sp.GetRequiredService<ArchiveBacklogWatch>(), HealthStatus.Degraded, ["ready"]));
        // Nothing a client sends is a 500: a query string or body that does not bind is a 400 that says which
        // parameter (minimal APIs would answer an empty 400), a store that cannot be reached is a 503, a query that
        // runs past History:QueryTimeout a 504.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<ExceptionHandlerOptions>(o =>
        {
            o.StatusCodeSelector = StatusCodeOf;
            o.SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException;
        });
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            switch (context.Exception)
            {
                case BadHttpRequestException bad:
                    context.ProblemDetails.Title = "Invalid request";
                    context.ProblemDetails.Detail = bad.Message;
                    break;
                case HistoryQueryTimeoutException timeout:
                    context.ProblemDetails.Title = "History query timed out";
                    context.ProblemDetails.Detail = $"The query ran longer than History:QueryTimeout ({timeout.Limit.TotalSeconds:0.###} s) " +
                        "and was stopped; ask for a shorter period or a narrower search.";
                    context.ProblemDetails.Extensions["timeoutSeconds"] = timeout.Limit.TotalSeconds;
                    break;
                case { } ex when StatusCodeOf(ex) == StatusCodes.Status503ServiceUnavailable:
                    context.ProblemDetails.Title = "History is not reachable right now";
                    context.ProblemDetails.Detail = "The history database does not answer; try again shortly.";
                    break;
            }
        });
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HistoryApiJsonContext.Default));
    }

    private static int StatusCodeOf(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        HistoryQueryTimeoutException => StatusCodes.Status504GatewayTimeout,
        HttpRequestException or TimeoutException or System.Net.Sockets.SocketException or HistoryStoreUnavailableException =>
            StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private sealed class HistoryHealthCheck(HistoryStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await store.ReadyAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
                return HealthCheckResult.Healthy(store.Database.Description);
            }
            catch (Exception ex) when (ex is TimeoutException or HistoryStoreRejectedException)
            {
                return HealthCheckResult.Unhealthy("history schema not ready on " + store.Database.Description, ex);
            }
        }
    }
}
