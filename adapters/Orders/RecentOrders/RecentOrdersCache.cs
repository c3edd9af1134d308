using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OrderList = CustomerService.Contracts.RecentOrders;

namespace CustomerService.Orders.RecentOrders;

/// <summary>
/// The last live answer per tenant and customer, in memory (the adapter has no Redis of its own): what the
/// fallback answers, marked CACHED, while the order system is down. Bounded in entries and age.
/// </summary>
public sealed class RecentOrdersCache : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly TimeSpan _ttl;

    public RecentOrdersCache(IOptions<OrderSystemOptions> options)
    {
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.CacheEntries });
        _ttl = options.Value.CacheTtl;
    }

    public void Set(string tenantId, string customerId, OrderList orders) =>
        _cache.Set((tenantId, customerId), orders.Clone(), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });

    public OrderList? TryGet(string tenantId, string customerId) =>
        _cache.TryGetValue((tenantId, customerId), out OrderList? orders) ? orders!.Clone() : null;

    public void Dispose() => _cache.Dispose();
}
