using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using NATS.Client.JetStream;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>
/// End to end through real processes: the built Session service (started alone, as a deployment would start it, on
/// this collection's NATS and a Redis of its own) takes a supervisor's "ticket" frame; the Orders adapter sends the
/// work order over RabbitMQ to the Java order system; its answer comes back into the conversation as a system
/// message that the customer and the supervisor both receive.
/// </summary>
[Collection(OrderSystemCollection.Name)]
public partial class SessionTicketTests(OrderSystemFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^Work order (WO-\d{4}-\d{6}) has been created: Rice cooker arrived broken$")]
    private static partial Regex CreatedText();

    [Fact]
    public async Task A_ticket_raised_over_the_socket_comes_back_into_the_conversation_with_the_order_systems_number()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var session = await SessionProcess.StartAsync(fixture.Nats.Url, redis.ConnectionString);
        await WaitForSessionResultConsumerAsync();
        const string tenant = "t-e2e";

        await using var customer = await session.ConnectAsync(tenant, "v-e2e", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "电饭煲到货就坏了", entryPage = "/orders" });
        string conversation = (string)(await customer.NextAsync("ack"))["conversationId"]!;

        // Routing is not running, so the conversation waits in the queue: a supervisor joins it and raises the ticket.
        await using var supervisor = await session.ConnectAsync(tenant, "carol", Roles.Supervisor);
        await supervisor.SendAsync(new { type = "hello" });
        await supervisor.NextAsync("welcome");
        await supervisor.SendAsync(new { type = "resume", conversationId = conversation, lastSeq = 0 });
        await supervisor.NextAsync("conversation");
        await supervisor.SendAsync(new
        {
            type = "ticket", conversationId = conversation, clientId = "raise-1", title = "Rice cooker arrived broken",
            description = "Lid cracked on arrival", orderId = "SO-2026-0042", priority = "high",
        });
        var requested = await supervisor.NextAsync("ticket");
        Assert.Equal("requested", (string?)requested["status"]);
        string id = (string)requested["ticketRequestId"]!;

        var toCustomer = await customer.NextAsync("message", Patience, f => (string?)f["sender"]?["kind"] == "system");
        var toSupervisor = await supervisor.NextAsync("message", Patience, f => (string?)f["sender"]?["kind"] == "system");
        var created = CreatedText().Match((string?)toCustomer["text"] ?? "");
        Assert.True(created.Success, toCustomer.ToJsonString());
        Assert.Equal(toCustomer.ToJsonString(), toSupervisor.ToJsonString());
        Assert.Equal(2, (long?)toCustomer["seq"]);
        // The ticket's status and the system message travel apart (a signal, a JetStream message): either comes first.
        var status = await supervisor.SeenOrNextAsync("ticket", Patience, f => (string?)f["status"] == "created");
        Assert.Equal((id, created.Groups[1].Value, 2L), ((string?)status["ticketRequestId"], (string?)status["workOrderNumber"], (long?)status["seq"]));

        // The order system numbered exactly this ticket, and read the fields the agent entered.
        Assert.Contains($"work order {id} ({tenant}/{conversation}): created {created.Groups[1].Value}", fixture.Simulator.Output);
        Assert.Equal(("created", created.Groups[1].Value), (await fixture.TicketRowAsync(id))?.Let(r => (r.State, r.Number)));
    }

    [Fact]
    public async Task A_ticket_the_order_system_rejects_comes_back_to_the_agents_with_its_reason()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var session = await SessionProcess.StartAsync(fixture.Nats.Url, redis.ConnectionString);
        await WaitForSessionResultConsumerAsync();
        const string tenant = "t-e2e-reject";

        await using var customer = await session.ConnectAsync(tenant, "v-e2e", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "hello" });
        string conversation = (string)(await customer.NextAsync("ack"))["conversationId"]!;
        await using var supervisor = await session.ConnectAsync(tenant, "carol", Roles.Supervisor);
        await supervisor.SendAsync(new { type = "hello" });
        await supervisor.NextAsync("welcome");
        await supervisor.SendAsync(new { type = "resume", conversationId = conversation, lastSeq = 0 });
        await supervisor.NextAsync("conversation");

        await supervisor.SendAsync(new { type = "ticket", conversationId = conversation, clientId = "raise-2", title = "Please reject this one" });
        var rejected = await supervisor.NextAsync("ticket", Patience, f => (string?)f["status"] == "rejected");
        Assert.Contains("refused", (string?)rejected["reason"]);
        Assert.Equal("rejected", (await fixture.TicketRowAsync((string)rejected["ticketRequestId"]!))?.State);
    }

    /// <summary>A Session started in this run may not have created its result consumer yet; results before it are not replayed.</summary>
    private Task WaitForSessionResultConsumerAsync() =>
        Eventually.GetAsync(() => fixture.JetStream.GetConsumerAsync(Subjects.TicketStreamName, "session-ticket-results").AsTask(), _ => true,
            $"Session's consumer session-ticket-results on {Subjects.TicketStreamName}", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100),
            notYet: e => e is NatsJSApiException);
}

internal static class LetExtensions
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> map) => map(value);
}

/// <summary>The built Session service (services/Session/bin/...) started alone with environment variables.</summary>
internal sealed class SessionProcess : IAsyncDisposable
{
    private readonly ServiceProcess _process;

    private SessionProcess(ServiceProcess process) => _process = process;

    public string Output => _process.Output;

    public static async Task<SessionProcess> StartAsync(string natsUrl, string redis)
    {
        var process = ServiceProcess.Start("services/Session", new Dictionary<string, string>
        {
            ["ConnectionStrings__nats"] = natsUrl,
            ["ConnectionStrings__redis"] = redis,
            // Admin and Routing are not running here: their calls fail fast and Session carries on (queued, no live config).
            ["LiveConfig__Address"] = $"http://127.0.0.1:{LocalServer.FreePort()}",
            ["services__routing__grpc__0"] = $"http://127.0.0.1:{LocalServer.FreePort()}",
            ["services__crm__grpc__0"] = $"http://127.0.0.1:{LocalServer.FreePort()}",
            ["services__orders__grpc__0"] = $"http://127.0.0.1:{LocalServer.FreePort()}",
        });
        try
        {
            // /health, not /alive: a Session that is alive but not yet listening to deliveries refuses sockets (503).
            await process.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new SessionProcess(process);
    }

    public Task<TestSocket> ConnectAsync(string tenant, string user, string role) =>
        TestSocket.ConnectAsync(_process.BaseAddress, tenant, user, role, serviceOutput: () => Output);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
