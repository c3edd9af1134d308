namespace CustomerService.Orders.Tickets;

// The two messages exchanged with the order system over RabbitMQ as plain JSON (camelCase), with no MassTransit
// envelope, so that a system outside .NET reads and writes them (docs/tickets.md). MassTransit needs a namespace
// on message types; these are not shared with any other .NET service, so they live here, not in the contracts.

/// <summary>Sent to the order system's work-orders queue: open a work order for a conversation.</summary>
public sealed record CreateWorkOrder
{
    public required string TicketRequestId { get; init; }
    public required string TenantId { get; init; }
    public required string ConversationId { get; init; }
    public string CustomerId { get; init; } = "";
    public string AgentId { get; init; } = "";
    public string Summary { get; init; } = "";
    public DateTimeOffset RequestedAt { get; init; }
    // The parts of the summary as the agent entered them ("" when not given; priority "normal" by default).
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public string OrderId { get; init; } = "";
    public string Priority { get; init; } = "";
}

/// <summary>The order system's answer on the results queue: status "created" with a number, or "rejected" with a reason.</summary>
public sealed record WorkOrderResult
{
    public const string Created = "created";
    public const string Rejected = "rejected";

    public string? TicketRequestId { get; init; }
    public string? TenantId { get; init; }
    public string? ConversationId { get; init; }
    public string? Status { get; init; }
    public string? WorkOrderNumber { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? ProcessedAt { get; init; }
}
