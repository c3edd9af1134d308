using Microsoft.Extensions.Options;

namespace CustomerService.Orders.Tickets;

/// <summary>How tickets travel to the order system and back (configuration section "Tickets"; docs/tickets.md).</summary>
public sealed class TicketOptions
{
    public const string Section = "Tickets";

    /// <summary>The order system's queue of work orders (CreateWorkOrder, plain JSON).</summary>
    public string WorkOrdersQueue { get; set; } = "order-system.work-orders";

    /// <summary>The queue the order system answers on (WorkOrderResult, plain JSON).</summary>
    public string ResultsQueue { get; set; } = "order-system.work-order-results";

    /// <summary>The durable JetStream consumer of ticket requests, shared by every replica of the adapter.</summary>
    public string ConsumerName { get; set; } = "orders-tickets";

    /// <summary>How long RabbitMQ may take to confirm one work order before the send is tried again.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait between two tries of a ticket request that could not be handed over.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often results not yet on NATS (NATS was down when they came) are published again.</summary>
    public TimeSpan ResultSweepInterval { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class TicketOptionsValidator : IValidateOptions<TicketOptions>
{
    public ValidateOptionsResult Validate(string? name, TicketOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.WorkOrdersQueue) || string.IsNullOrWhiteSpace(o.ResultsQueue) || o.WorkOrdersQueue == o.ResultsQueue)
            errors.Add("Tickets: WorkOrdersQueue and ResultsQueue must be two different queue names");
        if (string.IsNullOrWhiteSpace(o.ConsumerName) || o.ConsumerName.IndexOfAny(['.', '*', '>', ' ']) >= 0)
            errors.Add("Tickets:ConsumerName must be a JetStream consumer name (no '.', '*', '>' or spaces)");
        if (o.SendTimeout < TimeSpan.FromMilliseconds(100)) errors.Add("Tickets:SendTimeout must be at least 100 ms");
        if (o.MaxRetryDelay < TimeSpan.FromMilliseconds(100)) errors.Add("Tickets:MaxRetryDelay must be at least 100 ms");
        if (o.ResultSweepInterval < TimeSpan.FromMilliseconds(100)) errors.Add("Tickets:ResultSweepInterval must be at least 100 ms");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
