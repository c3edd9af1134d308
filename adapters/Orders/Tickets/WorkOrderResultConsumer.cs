using MassTransit;

namespace CustomerService.Orders.Tickets;

/// <summary>
/// The order system's answers (plain JSON on the results queue): records each in ticketdb once and publishes the
/// TicketResult when the answer resolved the ticket. Answers repeated by a redelivery change nothing; a failure to
/// publish is left to <see cref="TicketResultSweeper"/>, a failure to record makes MassTransit try the message again.
/// </summary>
public sealed partial class WorkOrderResultConsumer(TicketStore store, TicketResultPublisher results, ILogger<WorkOrderResultConsumer> logger)
    : IConsumer<WorkOrderResult>
{
    public async Task Consume(ConsumeContext<WorkOrderResult> context)
    {
        var answer = context.Message;
        if (string.IsNullOrWhiteSpace(answer.TicketRequestId))
        {
            LogUnusable("no ticketRequestId", answer.Status);
            return;
        }
        bool created = string.Equals(answer.Status, WorkOrderResult.Created, StringComparison.OrdinalIgnoreCase);
        bool rejected = string.Equals(answer.Status, WorkOrderResult.Rejected, StringComparison.OrdinalIgnoreCase);
        if (!created && !rejected || created && string.IsNullOrWhiteSpace(answer.WorkOrderNumber))
        {
            LogUnusable($"status '{answer.Status}' with work order number '{answer.WorkOrderNumber}'", answer.TicketRequestId);
            return;
        }

        var (resolution, ticket) = await store.ResolveAsync(answer.TicketRequestId, created, answer.WorkOrderNumber,
            string.IsNullOrWhiteSpace(answer.Reason) ? "rejected by the order system" : answer.Reason, context.CancellationToken);
        switch (resolution)
        {
            case Resolution.UnknownTicket:
                LogUnknownTicket(answer.TicketRequestId);
                return;
            case Resolution.AlreadyResolved:
                // Only the answer that resolved the ticket publishes; a result still unpublished is the sweeper's.
                LogRepeatedAnswer(answer.TicketRequestId);
                return;
        }
        try
        {
            await results.PublishAsync(ticket!, context.CancellationToken);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            LogPublishDeferred(e, answer.TicketRequestId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Ignored an answer of the order system: {Problem} ({Detail})")]
    private partial void LogUnusable(string problem, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The order system answered for ticket {TicketRequestId}, which ticketdb does not know")]
    private partial void LogUnknownTicket(string ticketRequestId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Repeated answer for ticket {TicketRequestId} ignored")]
    private partial void LogRepeatedAnswer(string ticketRequestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketRequestId} is resolved; its result waits for NATS")]
    private partial void LogPublishDeferred(Exception exception, string ticketRequestId);
}
