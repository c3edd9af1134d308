using CustomerService.Contracts;
using CustomerService.Orders.RecentOrders;
using Grpc.Core;
using Microsoft.Extensions.Options;
using OrderList = CustomerService.Contracts.RecentOrders;

namespace CustomerService.Orders.Grpc;

/// <summary>
/// customerservice.v1.Orders. Answers within the call's deadline: LIVE, CACHED (with the reason the order system
/// was not used) or UNAVAILABLE (with the reason).
/// </summary>
public sealed class OrdersService(RecentOrdersLookup orders, IOptions<OrderSystemOptions> options) : Contracts.Orders.OrdersBase
{
    public override async Task<OrderList> GetRecentOrders(GetRecentOrdersRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.TenantId) || string.IsNullOrWhiteSpace(request.CustomerId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "tenant_id and customer_id are required"));
        if (request.Limit < 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "limit cannot be negative"));
        int limit = request.Limit == 0 ? options.Value.DefaultLimit : Math.Min(request.Limit, options.Value.MaxLimit);
        return await orders.GetAsync(request.TenantId, request.CustomerId, limit, context.Deadline, context.CancellationToken);
    }
}
