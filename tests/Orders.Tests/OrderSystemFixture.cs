using System.Collections.Concurrent;
using CustomerService.Contracts;
using CustomerService.Orders.Tickets;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace CustomerService.Orders.Tests;

[CollectionDefinition(Name)]
public sealed class OrderSystemCollection : ICollectionFixture<OrderSystemFixture>
{
    public const string Name = "order system";
}

/// <summary>
/// Real servers for the whole collection, started once and in parallel: NATS, PostgreSQL (ticketdb), RabbitMQ,
/// the Java order system (JSON, consuming work orders) and a second one answering XML, and the adapter in-process.
/// Every TicketResult published on NATS is collected from the moment the adapter starts.
/// </summary>
public sealed class OrderSystemFixture : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _collecting;

    public NatsServer Nats { get; private set; } = null!;
    public PostgresServer Postgres { get; private set; } = null!;
    public RabbitMqServer Rabbit { get; private set; } = null!;
    public OrderSystemSimulator Simulator { get; private set; } = null!;
    public OrderSystemSimulator XmlSimulator { get; private set; } = null!;
    public OrdersHost Host { get; private set; } = null!;
    public NatsConnection NatsClient { get; private set; } = null!;
    public INatsJSContext JetStream { get; private set; } = null!;

    /// <summary>Every result seen on cs.ticket.*.result, in arrival order (core subscription: duplicates show).</summary>
    public ConcurrentQueue<TicketResult> Results { get; } = new();

    public async Task InitializeAsync()
    {
        var nats = NatsServer.StartAsync();
        var postgres = PostgresServer.StartAsync("ticketdb");
        var rabbit = RabbitMqServer.StartAsync();
        // The XML order system is asked over REST only; its AMQP side points at a port nobody listens on.
        var xml = OrderSystemSimulator.StartAsync(LocalServer.FreePort(), "nobody", "nothing", xml: true, waitForAmqp: false);
        try { await Task.WhenAll(nats, postgres, rabbit, xml); }
        finally
        {
            if (nats.IsCompletedSuccessfully) Nats = nats.Result;
            if (postgres.IsCompletedSuccessfully) Postgres = postgres.Result;
            if (rabbit.IsCompletedSuccessfully) Rabbit = rabbit.Result;
            if (xml.IsCompletedSuccessfully) XmlSimulator = xml.Result;
        }
        Simulator = await OrderSystemSimulator.StartAsync(Rabbit.Port, Rabbit.User, Rabbit.Password);

        NatsClient = new NatsConnection(new NatsOpts { Url = Nats.Url });
        await NatsClient.ConnectAsync();
        JetStream = NatsClient.CreateJetStreamContext();
        var subscribed = new TaskCompletionSource();
        _collecting = CollectResultsAsync(subscribed);
        await subscribed.Task;

        Host = await OrdersHost.StartAsync(Settings());
        // Session creates the stream too before it publishes requests; doing it here keeps the first test from racing the adapter.
        await TicketStream.EnsureAsync(JetStream, CancellationToken.None);
    }

    /// <summary>The adapter's configuration: the servers above, and a breaker that opens after a few failures.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["ConnectionStrings:nats"] = Nats.Url,
        ["ConnectionStrings:ticketdb"] = Postgres.ConnectionString("ticketdb"),
        ["ConnectionStrings:rabbitmq"] = Rabbit.ConnectionString,
        ["Orders:BaseUrl"] = Simulator.BaseUrl,
        // Generous per-call times (a busy test machine is slow), a short break so the drill sees the circuit close.
        ["Orders:Resilience:AttemptTimeout"] = "00:00:03",
        ["Orders:Resilience:TotalTimeout"] = "00:00:06",
        ["Orders:Resilience:RetryBaseDelay"] = "00:00:00.050",
        ["Orders:Resilience:MinimumThroughput"] = "4",
        ["Orders:Resilience:SamplingDuration"] = "00:00:30",
        ["Orders:Resilience:BreakDuration"] = "00:00:02",
        ["Tickets:MaxRetryDelay"] = "00:00:01",
        ["Tickets:SendTimeout"] = "00:00:03",
        ["Tickets:ResultSweepInterval"] = "00:00:01",
    };

    /// <summary>A fresh database on the same server, for a second instance of the adapter.</summary>
    public Task<string> CreateDatabaseAsync(string name) => Postgres.CreateDatabaseAsync(name);

    public async Task PublishRequestAsync(TicketRequested request)
    {
        var ack = await JetStream.PublishAsync(Subjects.TicketRequested(request.TenantId), request.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = request.TicketRequestId });
        ack.EnsureSuccess();
    }

    public static TicketRequested Request(string summary, string tenant = "t-orders") => new()
    {
        TicketRequestId = Guid.NewGuid().ToString("N"),
        TenantId = tenant,
        ConversationId = "conv-" + Guid.NewGuid().ToString("N")[..8],
        CustomerId = "c-42",
        AgentId = "agent-7",
        Summary = summary,
        RequestedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    /// <summary>The results collected so far for any of <paramref name="ids"/>.</summary>
    public Dictionary<string, List<TicketResult>> ResultsFor(IReadOnlyCollection<string> ids) =>
        Results.Where(r => ids.Contains(r.TicketRequestId)).GroupBy(r => r.TicketRequestId).ToDictionary(g => g.Key, g => g.ToList());

    /// <summary>
    /// The results collected for each of <paramref name="ids"/>, once every one has at least one; when the time is up
    /// fails naming those without and what the adapter logged about them (and its warnings).
    /// </summary>
    public Task<Dictionary<string, List<TicketResult>>> ResultsForAsync(IReadOnlyCollection<string> ids, TimeSpan timeout) =>
        Eventually.GetAsync(() => Task.FromResult(ResultsFor(ids)), found => found.Count == ids.Count,
            $"a result for each of {ids.Count} ticket requests", timeout, TimeSpan.FromMilliseconds(100), context: () =>
                "without one: " + string.Join(", ", ids.Except(ResultsFor(ids).Keys)) + "\nthe adapter logged:\n" + string.Join("\n",
                    Host.Logs.All.Where(l => l.Level >= LogLevel.Warning || ids.Any(id => l.Message.Contains(id))).Select(l => $"{l.Category}: {l.Message}")));

    public async Task<(string State, string? Number, string? Reason, bool Sent)?> TicketRowAsync(string ticketRequestId)
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString("ticketdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT state, work_order_number, reason, sent_at IS NOT NULL FROM tickets WHERE ticket_request_id = $1", connection);
        command.Parameters.Add(new() { Value = ticketRequestId });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3));
    }

    private async Task CollectResultsAsync(TaskCompletionSource subscribed)
    {
        await using var subscription = await NatsClient.SubscribeCoreAsync<byte[]>("cs.ticket.*.result", cancellationToken: _stop.Token);
        await NatsClient.PingAsync();
        subscribed.SetResult();
        try
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(_stop.Token))
                Results.Enqueue(TicketResult.Parser.ParseFrom(message.Data));
        }
        catch (OperationCanceledException) { }
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        if (Host is not null) await Host.DisposeAsync();
        if (_collecting is not null) await _collecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (NatsClient is not null) await NatsClient.DisposeAsync();
        if (Simulator is not null) await Simulator.DisposeAsync();
        if (XmlSimulator is not null) await XmlSimulator.DisposeAsync();
        await OrderSystemSimulator.DeleteCompiledAsync();
        if (Rabbit is not null) await Rabbit.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
        if (Nats is not null) await Nats.DisposeAsync();
    }
}
