using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;
using NATS.Extensions.Microsoft.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// NATS for every service, in place of Aspire.NATS.Net (not served here): the connection string named
/// <c>nats</c>, a health check, and tracing of publish and consume (see <see cref="Extensions.ConfigureOpenTelemetry"/>).
/// The platform's NATS has one user per service (<c>nats://{user}:{password}@host:port</c>, AppHost's NatsUsers): the
/// client logs in with the URL's credentials, and its inbox prefix is <c>_INBOX.{user}</c>, the only inboxes that user
/// may subscribe to, so that no service reads another's replies.
/// </summary>
public static class NatsExtensions
{
    public static TBuilder AddNats<TBuilder>(this TBuilder builder, string connectionName = "nats") where TBuilder : IHostApplicationBuilder
    {
        var url = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException(
                $"Connection string '{connectionName}' is missing: set ConnectionStrings__{connectionName} (e.g. nats://127.0.0.1:4222).");

        var user = UserOf(url);
        builder.Services.AddNatsClient(nats => nats.ConfigureOptions(options => options.Configure<ILoggerFactory>((o, loggers) =>
            o.Opts = o.Opts with
            {
                Url = url,
                InboxPrefix = user is null ? o.Opts.InboxPrefix : $"_INBOX.{user}",
                Name = builder.Environment.ApplicationName,
                LoggerFactory = loggers,
                // Start even when NATS is not up yet: the health check says so and the client keeps trying.
                RetryOnInitialConnect = true,
                MaxReconnectRetry = -1,
                SubPendingChannelCapacity = 65_536,
            })));

        builder.Services.AddSingleton<INatsJSContext>(sp => sp.GetRequiredService<INatsConnection>().CreateJetStreamContext());
        builder.Services.AddHealthChecks().AddCheck<NatsHealthCheck>("nats", tags: ["ready"]);
        return builder;
    }

    /// <summary>The user named in a <c>nats://user:password@host:port</c> URL, or null.</summary>
    public static string? UserOf(string url) =>
        Uri.TryCreate(url.Split(',')[0].Trim(), UriKind.Absolute, out var uri) && uri.UserInfo.Split(':')[0] is { Length: > 0 } user
            ? Uri.UnescapeDataString(user)
            : null;

    /// <summary>The URL as logs and health reports may show it: without the password.</summary>
    public static string Redacted(string url) =>
        Uri.TryCreate(url.Split(',')[0].Trim(), UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':')
            ? url.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***")
            : url;

    private sealed class NatsHealthCheck(INatsConnection connection) : IHealthCheck
    {
        private string Url => Redacted(connection.Opts.Url);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (connection.ConnectionState != NatsConnectionState.Open)
            {
                // Touching the connection makes it connect when it has not yet; the state tells.
                try { await connection.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken); }
                catch (Exception ex) { return HealthCheckResult.Unhealthy($"waiting for NATS at {Url}", ex); }
            }
            if (connection.ConnectionState != NatsConnectionState.Open)
                return HealthCheckResult.Unhealthy($"waiting for NATS at {Url} ({connection.ConnectionState})");
            var rtt = await connection.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy($"NATS rtt {rtt.TotalMilliseconds:F1} ms");
        }
    }
}
