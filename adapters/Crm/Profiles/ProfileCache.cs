using CustomerService.Contracts;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CustomerService.Crm.Profiles;

/// <summary>
/// The last profile read from the CRM per tenant and customer (CustomerProfile protobuf, TTL Crm:CacheTtl): what
/// the fallback answers while the CRM is down. Never fails or delays a call beyond its token: a cache that
/// cannot be reached is a miss. The Redis connection is made in the background from the start, so no call waits
/// for it.
/// </summary>
public sealed partial class ProfileCache(IServiceProvider services, IOptions<CrmOptions> options, ILogger<ProfileCache> logger) : IHostedService
{
    private Task<IConnectionMultiplexer>? _connection;

    public static string Key(string tenantId, string customerId) => $"cs:{tenantId}:crm:customer:{customerId}:profile";

    public async ValueTask<CustomerProfile?> TryGetAsync(string tenantId, string customerId, CancellationToken cancellationToken)
    {
        try
        {
            var redis = await Connection().WaitAsync(cancellationToken);
            var value = await redis.GetDatabase().StringGetAsync(Key(tenantId, customerId)).WaitAsync(cancellationToken);
            return value.IsNull ? null : CustomerProfile.Parser.ParseFrom((byte[])value!);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException or InvalidProtocolBufferException)
        {
            LogCacheUnavailable(e, "read", tenantId, customerId);
            return null;
        }
    }

    public async ValueTask TrySetAsync(string tenantId, CustomerProfile profile, CancellationToken cancellationToken)
    {
        try
        {
            var redis = await Connection().WaitAsync(cancellationToken);
            await redis.GetDatabase()
                .StringSetAsync(Key(tenantId, profile.CustomerId), profile.ToByteArray(), options.Value.CacheTtl)
                .WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            LogCacheUnavailable(e, "write", tenantId, profile.CustomerId);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Connection();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The multiplexer, connected off the request path; a failed attempt is made again on the next use.</summary>
    private Task<IConnectionMultiplexer> Connection()
    {
        var current = Volatile.Read(ref _connection);
        if (current is { IsFaulted: false, IsCanceled: false }) return current;
        var next = Task.Run(() => services.GetRequiredService<IConnectionMultiplexer>());
        return Interlocked.CompareExchange(ref _connection, next, current) == current ? next : _connection!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Profile cache {Operation} failed for {TenantId}/{CustomerId}")]
    private partial void LogCacheUnavailable(Exception exception, string operation, string tenantId, string customerId);
}
