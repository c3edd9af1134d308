using CustomerService.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// Sends CreateWorkOrder to the order system's queue (raw JSON, persistent). Returns once RabbitMQ confirmed it;
/// while RabbitMQ is unreachable it fails after <see cref="TicketOptions.SendTimeout"/>.
/// </summary>
public sealed class WorkOrderSender(IBus bus, IOptions<TicketOptions> options)
{
    private readonly TicketOptions _options = options.Value;
    private readonly Uri _queue = new($"queue:{options.Value.WorkOrdersQueue}");

    public async Task SendAsync(TicketRequested request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.SendTimeout);
        var endpoint = await bus.GetSendEndpoint(_queue);
        await endpoint.Send(new CreateWorkOrder
        {
            TicketRequestId = request.TicketRequestId,
            TenantId = request.TenantId,
            ConversationId = request.ConversationId,
            CustomerId = request.CustomerId,
            AgentId = request.AgentId,
            Summary = request.Summary,
            Title = request.Title,
            Description = request.Description,
            OrderId = request.OrderId,
            Priority = request.Priority,
            RequestedAt = request.RequestedAtUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(request.RequestedAtUnixMs) : DateTimeOffset.UtcNow,
        }, context => context.Durable = true, timeout.Token);
    }
}
