using CustomerService.Contracts;
using Npgsql;

namespace CustomerService.Orders.Tickets;

public enum TicketState { Requested, Created, Rejected }

/// <summary>One ticket as ticketdb keeps it.</summary>
public sealed record Ticket(
    string TicketRequestId,
    string TenantId,
    string ConversationId,
    TicketState State,
    string? WorkOrderNumber,
    string? Reason,
    DateTimeOffset? SentAt,
    DateTimeOffset? ResultPublishedAt)
{
    public bool IsResolved => State != TicketState.Requested;

    public TicketResult ToResult() => new()
    {
        TicketRequestId = TicketRequestId,
        TenantId = TenantId,
        ConversationId = ConversationId,
        Created = State == TicketState.Created,
        WorkOrderNumber = WorkOrderNumber ?? "",
        Reason = Reason ?? "",
    };
}

/// <summary>What recording an answer of the order system did.</summary>
public enum Resolution { Resolved, AlreadyResolved, UnknownTicket }

/// <summary>
/// Ticket state in ticketdb: requested → created (with the work-order number) or rejected (with the reason).
/// Every write is idempotent by ticket_request_id, so redelivered requests and answers change nothing twice.
/// </summary>
public sealed class TicketStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "ticket_request_id, tenant_id, conversation_id, state, work_order_number, reason, sent_at, result_published_at";

    /// <summary>Records a request (once) and answers the ticket as it stands.</summary>
    public async Task<Ticket> RecordRequestAsync(TicketRequested request, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH inserted AS (
                INSERT INTO tickets (ticket_request_id, tenant_id, conversation_id, customer_id, agent_id, summary, requested_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (ticket_request_id) DO NOTHING
                RETURNING {Columns})
            SELECT {Columns} FROM inserted
            UNION ALL
            SELECT {Columns} FROM tickets WHERE ticket_request_id = $1
            LIMIT 1
            """);
        command.Parameters.Add(new() { Value = request.TicketRequestId });
        command.Parameters.Add(new() { Value = request.TenantId });
        command.Parameters.Add(new() { Value = request.ConversationId });
        command.Parameters.Add(new() { Value = request.CustomerId });
        command.Parameters.Add(new() { Value = request.AgentId });
        command.Parameters.Add(new() { Value = request.Summary });
        command.Parameters.Add(new()
        {
            Value = request.RequestedAtUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(request.RequestedAtUnixMs) : DateTimeOffset.UtcNow,
        });
        return (await ReadOneAsync(command, cancellationToken))!;
    }

    /// <summary>RabbitMQ confirmed the work order: it is the order system's now.</summary>
    public async Task MarkSentAsync(string ticketRequestId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE tickets SET sent_at = coalesce(sent_at, now()), updated_at = now() WHERE ticket_request_id = $1");
        command.Parameters.Add(new() { Value = ticketRequestId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records the order system's answer unless one was recorded before; answers the ticket as it stands.</summary>
    public async Task<(Resolution Resolution, Ticket? Ticket)> ResolveAsync(string ticketRequestId, bool created, string? workOrderNumber,
        string? reason, CancellationToken cancellationToken)
    {
        await using (var update = dataSource.CreateCommand($"""
            UPDATE tickets SET state = $2, work_order_number = $3, reason = $4, resolved_at = now(), updated_at = now()
            WHERE ticket_request_id = $1 AND state = 'requested'
            RETURNING {Columns}
            """))
        {
            update.Parameters.Add(new() { Value = ticketRequestId });
            update.Parameters.Add(new() { Value = created ? "created" : "rejected" });
            update.Parameters.Add(new() { Value = created ? workOrderNumber! : DBNull.Value });
            update.Parameters.Add(new() { Value = created ? DBNull.Value : reason ?? "" });
            if (await ReadOneAsync(update, cancellationToken) is { } resolved) return (Resolution.Resolved, resolved);
        }
        var existing = await GetAsync(ticketRequestId, cancellationToken);
        return (existing is null ? Resolution.UnknownTicket : Resolution.AlreadyResolved, existing);
    }

    public async Task MarkResultPublishedAsync(string ticketRequestId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE tickets SET result_published_at = coalesce(result_published_at, now()), updated_at = now() WHERE ticket_request_id = $1");
        command.Parameters.Add(new() { Value = ticketRequestId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Resolved tickets whose result is not on NATS yet and was resolved at least <paramref name="olderThan"/> ago.</summary>
    public async Task<List<Ticket>> UnpublishedResultsAsync(TimeSpan olderThan, int max, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM tickets
            WHERE state <> 'requested' AND result_published_at IS NULL AND resolved_at < now() - $1
            ORDER BY resolved_at LIMIT $2
            """);
        command.Parameters.Add(new() { Value = olderThan });
        command.Parameters.Add(new() { Value = max });
        var tickets = new List<Ticket>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) tickets.Add(Read(reader));
        return tickets;
    }

    public async Task<Ticket?> GetAsync(string ticketRequestId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM tickets WHERE ticket_request_id = $1");
        command.Parameters.Add(new() { Value = ticketRequestId });
        return await ReadOneAsync(command, cancellationToken);
    }

    private static async Task<Ticket?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static Ticket Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2),
        r.GetString(3) switch { "created" => TicketState.Created, "rejected" => TicketState.Rejected, _ => TicketState.Requested },
        r.IsDBNull(4) ? null : r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
        r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7));
}
