using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// One account's revocation: its tokens with a <c>ver</c> below <see cref="MinVersion"/> are revoked. Worth keeping
/// until <see cref="Expires"/>, when every token issued before the revocation has expired anyway.
/// </summary>
public readonly record struct TokenRevocation(string Tenant, string Account, int MinVersion, DateTimeOffset Expires)
{
    /// <summary>The minimum version of a deleted account: none of its tokens is valid, whatever its version.</summary>
    public const int Deleted = int.MaxValue;

    /// <summary>Tenant ids have no '/' (tenants' CHECK constraint), so the key is unambiguous.</summary>
    public static string AccountKey(string tenant, string account) => string.Concat(tenant, "/", account);

    public string Key => AccountKey(Tenant, Account);

    /// <summary>The hash value and the tail of a change message: "{minVersion} {expires, unix seconds}".</summary>
    internal string Value => string.Create(CultureInfo.InvariantCulture, $"{MinVersion} {Expires.ToUnixTimeSeconds()}");

    internal static bool TryParse(string? key, string? value, out TokenRevocation revocation)
    {
        revocation = default;
        if (key is null || value is null) return false;
        var slash = key.IndexOf('/');
        var space = value.IndexOf(' ');
        if (slash <= 0 || slash == key.Length - 1 || space <= 0
            || !int.TryParse(value.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var min)
            || !long.TryParse(value.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return false;
        revocation = new TokenRevocation(key[..slash], key[(slash + 1)..], min, DateTimeOffset.FromUnixTimeSeconds(expires));
        return true;
    }

    /// <summary>A change message: "{tenant}/{account} {minVersion} {expires}".</summary>
    internal static bool TryParseMessage(string? message, out TokenRevocation revocation)
    {
        revocation = default;
        var space = message?.IndexOf(' ') ?? -1;
        return space > 0 && TryParse(message![..space], message[(space + 1)..], out revocation);
    }
}

/// <summary>
/// The revocations every gateway replica and Session replica share: a Redis hash (<see cref="Key"/>, field
/// "{tenant}/{account}", value "{minVersion} {expires}") and a pub/sub channel announcing each one as it is made.
/// Admin writes (after it has recorded the revocation in PostgreSQL, its source of truth); the others read.
/// </summary>
public sealed class TokenRevocationStore(IConnectionMultiplexer redis)
{
    public static readonly RedisKey Key = "auth:revocations";
    public const string ChangedChannel = "auth:revocations:changed";
    public static readonly RedisChannel Changed = RedisChannel.Literal(ChangedChannel);

    /// <summary>
    /// Raises the account's entry to this revocation (never lowers it: a late or repeated announcement changes
    /// nothing) and announces it when it rose. One round trip.
    /// </summary>
    private static readonly LuaScript Announce = LuaScript.Prepare("""
        local current = redis.call('HGET', @key, @field)
        local min, expires = tonumber(@min), tonumber(@expires)
        if current then
            local v, e = string.match(current, '^(%d+) (%d+)$')
            if v then
                if tonumber(v) >= min and tonumber(e) >= expires then return 0 end
                min, expires = math.max(min, tonumber(v)), math.max(expires, tonumber(e))
            end
        end
        local value = string.format('%d %d', min, expires)
        redis.call('HSET', @key, @field, value)
        redis.call('PUBLISH', @channel, @field .. ' ' .. value)
        return 1
        """);

    /// <summary>Drops the entries whose tokens have all expired; atomic, so an entry raised meanwhile stays.</summary>
    private static readonly LuaScript ForgetExpired = LuaScript.Prepare("""
        local all = redis.call('HGETALL', @key)
        local dropped = 0
        for i = 1, #all, 2 do
            local e = tonumber(string.match(all[i + 1], ' (%d+)$'))
            if e and e < tonumber(@now) then
                redis.call('HDEL', @key, all[i])
                dropped = dropped + 1
            end
        end
        return dropped
        """);

    /// <summary>Whether the entry rose (and was announced).</summary>
    public async Task<bool> AnnounceAsync(TokenRevocation revocation)
    {
        var raised = await redis.GetDatabase().ScriptEvaluateAsync(Announce, new
        {
            key = Key,
            field = revocation.Key,
            min = revocation.MinVersion.ToString(CultureInfo.InvariantCulture),
            expires = revocation.Expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            channel = ChangedChannel,
        });
        return (int)raised == 1;
    }

    /// <summary>How many expired entries were dropped.</summary>
    public async Task<int> ForgetExpiredAsync(DateTimeOffset now) => (int)await redis.GetDatabase().ScriptEvaluateAsync(ForgetExpired, new
    {
        key = Key,
        now = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
    });

    public async Task<IReadOnlyList<TokenRevocation>> LoadAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Key);
        var revocations = new List<TokenRevocation>(entries.Length);
        foreach (var entry in entries)
            if (TokenRevocation.TryParse(entry.Name, entry.Value, out var revocation)) revocations.Add(revocation);
        return revocations;
    }

    public Task SubscribeAsync(Action<TokenRevocation> onRevoked) => redis.GetSubscriber().SubscribeAsync(Changed, (_, message) =>
    {
        if (TokenRevocation.TryParseMessage(message, out var revocation)) onRevoked(revocation);
    });
}

/// <summary>
/// This process's copy of the revocations, checked on every request (gateway) and socket (Session): one lock-free
/// dictionary lookup, no Redis round trip. Entries only ever rise; <see cref="Raised"/> says when one did.
/// </summary>
public sealed class TokenRevocations
{
    private readonly ConcurrentDictionary<string, TokenRevocation> _byAccount = new(StringComparer.Ordinal);

    /// <summary>An account's minimum version rose: every token (and socket) of it below that is revoked now.</summary>
    public event Action<TokenRevocation>? Raised;

    public int Count => _byAccount.Count;

    /// <param name="accountKey"><see cref="TokenRevocation.AccountKey"/>, made once per token rather than per request.</param>
    public bool IsRevoked(string accountKey, int version) =>
        _byAccount.TryGetValue(accountKey, out var revocation) && version < revocation.MinVersion;

    /// <summary>Merges an entry (from an announcement or a reload); true when it raised the account's minimum.</summary>
    public bool Apply(TokenRevocation revocation)
    {
        var key = revocation.Key;
        while (true)
        {
            if (!_byAccount.TryGetValue(key, out var current))
            {
                if (!_byAccount.TryAdd(key, revocation)) continue;
                break;
            }
            if (current.MinVersion >= revocation.MinVersion && current.Expires >= revocation.Expires) return false;
            var merged = current with
            {
                MinVersion = Math.Max(current.MinVersion, revocation.MinVersion),
                Expires = current.Expires > revocation.Expires ? current.Expires : revocation.Expires,
            };
            if (!_byAccount.TryUpdate(key, merged, current)) continue;
            if (merged.MinVersion == current.MinVersion) return false;
            revocation = merged;
            break;
        }
        Raised?.Invoke(revocation);
        return true;
    }

    /// <summary>Forgets the entries whose tokens have all expired.</summary>
    public void Prune(DateTimeOffset now)
    {
        foreach (var (key, revocation) in _byAccount)
            if (revocation.Expires < now) _byAccount.TryRemove(new KeyValuePair<string, TokenRevocation>(key, revocation));
    }
}

/// <summary>Configuration section <c>Revocation</c>.</summary>
public sealed class TokenRevocationOptions
{
    public const string Section = "Revocation";

    /// <summary>Reload the whole set this often even without an announcement, in case one was missed (Redis restarted, say).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Keeps <see cref="TokenRevocations"/> in step with Redis, as the gateway's blocklist is kept: each announcement
/// applied as it arrives, and the whole hash merged in every <see cref="TokenRevocationOptions.RefreshInterval"/>.
/// When Redis cannot be reached the revocations already known stay in force.
/// </summary>
internal sealed partial class TokenRevocationSync(
    TokenRevocationStore store, TokenRevocations revocations, IOptions<TokenRevocationOptions> options, TimeProvider time,
    ILogger<TokenRevocationSync> logger) : BackgroundService
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(3);
    private readonly Channel<bool> _subscribe = Channel.CreateBounded<bool>(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Enforce what is known from the first request, without holding the service up when Redis is slow to come.
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(StartPatience);
        try { await RefreshAsync().WaitAsync(patience.Token); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { LogStartWithoutList(); }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribed = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!subscribed)
            {
                // The multiplexer re-subscribes by itself after a reconnect; only a first attempt that failed is repeated.
                try { await store.SubscribeAsync(r => revocations.Apply(r)); subscribed = true; }
                catch (Exception ex) when (ex is RedisException or TimeoutException) { LogRefreshFailed(ex.Message); }
            }
            try { await Task.Delay(options.Value.RefreshInterval, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
            await RefreshAsync();
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            var raised = 0;
            foreach (var revocation in await store.LoadAsync())
                if (revocations.Apply(revocation)) raised++;
            revocations.Prune(time.GetUtcNow());
            if (raised > 0) LogReloaded(raised, revocations.Count);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRefreshFailed(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token revocations reloaded: {Raised} new or raised, {Count} in force")]
    private partial void LogReloaded(int raised, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token revocations not refreshed, the known ones stay in force: {Reason}")]
    private partial void LogRefreshFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token revocations not loaded at start (Redis slow); they apply once Redis answers")]
    private partial void LogStartWithoutList();
}

public static class TokenRevocationExtensions
{
    /// <summary>
    /// The revocations this process enforces (<see cref="TokenRevocations"/>), kept in step with Redis. Needs the
    /// <c>redis</c> client registered (AddRedisClient).
    /// </summary>
    public static IHostApplicationBuilder AddTokenRevocations(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<TokenRevocationOptions>().BindConfiguration(TokenRevocationOptions.Section)
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, "Revocation:RefreshInterval must be positive.").ValidateOnStart();
        builder.Services.TryAddSingleton<TokenRevocationStore>();
        builder.Services.AddSingleton<TokenRevocations>();
        builder.Services.AddHostedService<TokenRevocationSync>();
        return builder;
    }
}
