using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Grpc.Core;

namespace CustomerService.Admin.Configuration;

/// <summary>
/// ConfigStream.Watch: the requested sections of every tenant, then every change as it commits. A subscriber
/// that gives after_version gets only what changed since, from the change log; one whose version this database
/// never reached (it was restored, say) gets a full snapshot, which replaces everything it had.
/// </summary>
public sealed partial class ConfigStreamService(
    ConfigStore store, ConfigChangeFeed feed, IHostApplicationLifetime lifetime, ILogger<ConfigStreamService> logger)
    : ConfigStream.ConfigStreamBase
{
    public override async Task Watch(WatchRequest request, IServerStreamWriter<ConfigChange> responseStream, ServerCallContext context)
    {
        // A replica shutting down ends its streams at once rather than letting the server wait for them: the
        // subscribers resume elsewhere, or here once it is back.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await WatchAsync(request, responseStream, stopping.Token);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            LogEndedForShutdown(request.Subscriber);
        }
    }

    private async Task WatchAsync(WatchRequest request, IServerStreamWriter<ConfigChange> responseStream, CancellationToken cancellationToken)
    {
        var sections = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in request.Sections)
        {
            if (!ConfigSections.TryGet(section, out _))
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Unknown configuration section '{section}'."));
            sections.Add(section);
        }
        // No sections named: all of them.
        if (sections.Count == 0) foreach (var d in ConfigSections.All) sections.Add(d.Name);

        await feed.WaitStartedAsync(cancellationToken);
        using var subscription = feed.Subscribe();
        long cursor;
        try
        {
            if (request.AfterVersion > 0 && request.AfterVersion <= await store.CurrentVersionAsync(cancellationToken))
            {
                cursor = request.AfterVersion;
                LogResuming(request.Subscriber, cursor);
                await foreach (var change in store.ReadChangesAfterAsync(cursor, sections, cancellationToken))
                {
                    await responseStream.WriteAsync(ToMessage(change), cancellationToken);
                    cursor = change.Version;
                }
            }
            else
            {
                var snapshot = await store.ReadSnapshotAsync(sections, cancellationToken);
                LogSnapshot(request.Subscriber, snapshot.Version, snapshot.Documents.Count);
                foreach (var document in snapshot.Documents)
                {
                    await responseStream.WriteAsync(new ConfigChange
                    {
                        Version = document.Version, Section = document.Section, TenantId = document.TenantId, Snapshot = true, Json = document.Json,
                    }, cancellationToken);
                }
                // Always a closing item of its own, so that an empty configuration is a complete snapshot too.
                await responseStream.WriteAsync(new ConfigChange { Version = snapshot.Version, Snapshot = true, SnapshotComplete = true }, cancellationToken);
                cursor = snapshot.Version;
            }
        }
        catch (Npgsql.NpgsqlException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The configuration database is unavailable.", e));
        }

        try
        {
            await foreach (var change in subscription.Reader.ReadAllAsync(cancellationToken))
            {
                // The snapshot or the log already had it.
                if (change.Version <= cursor) continue;
                cursor = change.Version;
                if (sections.Contains(change.Section)) await responseStream.WriteAsync(ToMessage(change), cancellationToken);
            }
        }
        catch (Exception e) when (e is ConfigChangeFeed.SubscriberTooSlowException || e.InnerException is ConfigChangeFeed.SubscriberTooSlowException)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Fell behind at version {cursor}: resume after it."));
        }
    }

    private static ConfigChange ToMessage(ConfigChangeRow change) => new()
    {
        Version = change.Version, Section = change.Section, TenantId = change.TenantId, Json = change.Json ?? "",
    };

    [LoggerMessage(LogLevel.Information, "{Subscriber} watches configuration from a snapshot at version {Version} ({Documents} documents)")]
    private partial void LogSnapshot(string subscriber, long version, int documents);

    [LoggerMessage(LogLevel.Information, "Ending the configuration stream of {Subscriber}: shutting down")]
    private partial void LogEndedForShutdown(string subscriber);

    [LoggerMessage(LogLevel.Information, "{Subscriber} resumes watching configuration after version {Version}")]
    private partial void LogResuming(string subscriber, long version);
}
