using System.Text.RegularExpressions;
using CustomerService.Contracts;
using Google.Protobuf;
using NATS.Client.JetStream;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>
/// Tickets end to end: TicketRequested on NATS → the adapter → CreateWorkOrder on RabbitMQ (raw JSON) → the Java
/// order system → its answer on RabbitMQ → TicketResult on NATS, with the state kept in ticketdb.
/// </summary>
[Collection(OrderSystemCollection.Name)]
public partial class TicketTests(OrderSystemFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^WO-\d{4}-\d{6}$")]
    private static partial Regex WorkOrderNumber();

    [Fact]
    public async Task A_ticket_comes_back_created_with_the_order_systems_work_order_number()
    {
        var request = OrderSystemFixture.Request("Customer says the rice cooker arrived broken; please replace");
        await fixture.PublishRequestAsync(request);

        var results = await fixture.ResultsForAsync([request.TicketRequestId], Patience);

        var result = Assert.Single(Assert.Contains(request.TicketRequestId, results));
        Assert.True(result.Created, result.Reason);
        Assert.Matches(WorkOrderNumber(), result.WorkOrderNumber);
        Assert.Equal((request.TenantId, request.ConversationId), (result.TenantId, result.ConversationId));
        // The order system read the plain JSON work order: it logs the fields it parsed.
        Assert.Contains($"work order {request.TicketRequestId} ({request.TenantId}/{request.ConversationId}): created {result.WorkOrderNumber}",
            fixture.Simulator.Output);
        var row = await fixture.TicketRowAsync(request.TicketRequestId);
        Assert.Equal(("created", result.WorkOrderNumber, (string?)null, true), row);
    }

    [Theory]
    [InlineData("Please reject this one", "refused")]
    [InlineData("   ", "summary is empty")]
    public async Task A_ticket_the_order_system_refuses_comes_back_rejected_with_its_reason(string summary, string reason)
    {
        var request = OrderSystemFixture.Request(summary);
        await fixture.PublishRequestAsync(request);

        var results = await fixture.ResultsForAsync([request.TicketRequestId], Patience);

        var result = Assert.Single(Assert.Contains(request.TicketRequestId, results));
        Assert.False(result.Created);
        Assert.Equal("", result.WorkOrderNumber);
        Assert.Contains(reason, result.Reason);
        var row = await fixture.TicketRowAsync(request.TicketRequestId);
        Assert.Equal("rejected", row?.State);
        Assert.Equal(result.Reason, row?.Reason);
    }

    [Fact]
    public async Task A_request_published_twice_gives_one_work_order_and_one_result()
    {
        var request = OrderSystemFixture.Request("Wrong size delivered");
        // Two publishes that JetStream cannot de-duplicate (different message ids): the adapter must.
        await fixture.PublishRequestAsync(request);
        var again = await fixture.JetStream.PublishAsync(Subjects.TicketRequested(request.TenantId), request.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = request.TicketRequestId + "-again" });
        again.EnsureSuccess();

        await fixture.ResultsForAsync([request.TicketRequestId], Patience);
        // Give a second result, if there were one, time to arrive.
        var followUp = OrderSystemFixture.Request("A later ticket");
        await fixture.PublishRequestAsync(followUp);
        var results = await fixture.ResultsForAsync([request.TicketRequestId, followUp.TicketRequestId], Patience);

        Assert.Single(results[request.TicketRequestId]);
        Assert.Equal(1, Regex.Count(fixture.Simulator.Output, $"received work order {request.TicketRequestId}"));
    }
}
