using System.Net;
using StackExchange.Redis;

namespace CustomerService.Gateway.Blocklist;

/// <summary>
/// The blocklist every gateway replica shares: a Redis set, and a pub/sub channel that tells the replicas to
/// reload it the moment it changes.
/// </summary>
public sealed class BlocklistStore(IConnectionMultiplexer redis)
{
    public static readonly RedisKey Key = "gateway:blocklist";
    public static readonly RedisChannel Changed = RedisChannel.Literal("gateway:blocklist:changed");

    public async Task<IReadOnlyList<IPAddress>> LoadAsync()
    {
        var members = await redis.GetDatabase().SetMembersAsync(Key);
        var addresses = new List<IPAddress>(members.Length);
        foreach (var member in members)
            if (IpBlocklist.TryParse(member, out var address)) addresses.Add(address);
        return addresses;
    }

    /// <summary>Whether the address was not blocked before.</summary>
    public async Task<bool> AddAsync(IPAddress address)
    {
        var added = await redis.GetDatabase().SetAddAsync(Key, address.ToString());
        await redis.GetSubscriber().PublishAsync(Changed, address.ToString());
        return added;
    }

    /// <summary>Whether the address was blocked.</summary>
    public async Task<bool> RemoveAsync(IPAddress address)
    {
        var removed = await redis.GetDatabase().SetRemoveAsync(Key, address.ToString());
        await redis.GetSubscriber().PublishAsync(Changed, address.ToString());
        return removed;
    }

    public Task SubscribeAsync(Action onChange) => redis.GetSubscriber().SubscribeAsync(Changed, (_, _) => onChange());
}
