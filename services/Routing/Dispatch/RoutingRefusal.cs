using Grpc.Core;

namespace CustomerService.Routing.Dispatch;

/// <summary>A routing request that cannot be carried out as asked; <see cref="Status"/> says why in gRPC terms.</summary>
public sealed class RoutingRefusal(StatusCode status, string message) : Exception(message)
{
    public StatusCode Status { get; } = status;
}
