using CustomerService.AdapterKit.Resilience;
using CustomerService.Contracts;
using CustomerService.Orders.LegacyOrderSystem;
using OrderList = CustomerService.Contracts.RecentOrders;

namespace CustomerService.Orders.RecentOrders;

/// <summary>
/// A customer's recent orders: live from the order system through the legacy pipeline (timeout, retries with
/// jitter, circuit breaker), else the last live answer (CACHED), else an explicit UNAVAILABLE with the reason;
/// always within the caller's deadline. A customer the order system does not know has no orders (LIVE, empty).
/// </summary>
public sealed partial class RecentOrdersLookup(
    OrderSystemClient orderSystem,
    [FromKeyedServices(OrderSystemClient.SystemName)] LegacySystem<OrderList> legacy,
    OrderAnswerMapper mapper,
    RecentOrdersCache cache,
    ILogger<RecentOrdersLookup> logger)
{
    public async ValueTask<OrderList> GetAsync(string tenantId, string customerId, int limit, DateTime? deadlineUtc, CancellationToken cancellationToken)
    {
        var orders = await legacy.CallAsync(
            token => ReadLiveAsync(tenantId, customerId, limit, token),
            (failure, _) => ValueTask.FromResult(FallBack(tenantId, customerId, limit, failure)),
            deadlineUtc, cancellationToken);
        if (orders.Availability == Availability.Live) cache.Set(tenantId, customerId, orders);
        return orders;
    }

    private async ValueTask<OrderList> ReadLiveAsync(string tenantId, string customerId, int limit, CancellationToken cancellationToken)
    {
        OrderSystemAnswer answer;
        try
        {
            answer = await orderSystem.GetRecentOrdersAsync(customerId, limit, cancellationToken);
        }
        catch (LegacyRecordNotFoundException)
        {
            return new OrderList { Availability = Availability.Live };
        }
        var problems = new List<string>();
        var orders = new OrderList { Availability = Availability.Live };
        orders.Orders.AddRange(mapper.Map(OrderAnswerMapper.Envelope(answer, tenantId), limit, problems));
        if (problems.Count > 0) LogMappingProblems(tenantId, customerId, string.Join("; ", problems));
        return orders;
    }

    private OrderList FallBack(string tenantId, string customerId, int limit, LegacyFailure failure)
    {
        if (cache.TryGet(tenantId, customerId) is { } cached)
        {
            var kept = new OrderList { Availability = Availability.Cached, UnavailableReason = failure.Reason };
            kept.Orders.AddRange(cached.Orders.Take(limit));
            return kept;
        }
        return new OrderList { Availability = Availability.Unavailable, UnavailableReason = failure.Reason };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Orders of {TenantId}/{CustomerId} mapped with problems: {Problems}")]
    private partial void LogMappingProblems(string tenantId, string customerId, string problems);
}
