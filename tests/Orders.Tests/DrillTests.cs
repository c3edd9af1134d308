using OrderList = CustomerService.Contracts.RecentOrders;
using System.Diagnostics;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>Outages of the legacy side: RabbitMQ stopped while tickets are raised; the order system killed while orders are asked for.</summary>
[Collection(OrderSystemCollection.Name)]
public class DrillTests(OrderSystemFixture fixture)
{
    /// <summary>How long a drill waits for the legacy side to catch up after an outage.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Tickets_raised_while_RabbitMQ_is_down_are_all_delivered_once_when_it_returns()
    {
        await fixture.Rabbit.StopAsync();
        var requests = Enumerable.Range(1, 12)
            .Select(i => OrderSystemFixture.Request(i % 4 == 0 ? $"Outage ticket {i}: reject" : $"Outage ticket {i}"))
            .ToList();
        var ids = requests.Select(r => r.TicketRequestId).ToList();
        try
        {
            foreach (var request in requests) await fixture.PublishRequestAsync(request);

            // While the broker is down the requests wait: none resolved, none lost; the first is held by the adapter.
            // Absence over a while (no result may come): nothing would signal one, so it is given 5 s to show.
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Empty(fixture.ResultsFor(ids));
            var rows = await Task.WhenAll(ids.Select(fixture.TicketRowAsync));
            Assert.All(rows, row => Assert.True(row is null or { State: "requested", Sent: false }, $"{row}"));
            Assert.NotNull(rows[0]);
            Assert.True(fixture.Host.Logs.Any(l => l.Contains(ids[0]) && l.Contains("waits to be handled")));
        }
        finally
        {
            await fixture.Rabbit.StartAgainAsync();
        }

        var results = await fixture.ResultsForAsync(ids, TimeSpan.FromSeconds(150));
        Assert.Equal(ids.Count, results.Count);
        // Time for a duplicate, were there one, to show (absence: nothing would signal it).
        await Task.Delay(TimeSpan.FromSeconds(3));
        results = fixture.ResultsFor(ids);
        Assert.All(results.Values, r => Assert.Single(r));
        for (int i = 0; i < requests.Count; i++)
        {
            var result = results[ids[i]].Single();
            Assert.Equal((i + 1) % 4 != 0, result.Created);
        }
        var numbers = results.Values.Select(r => r.Single()).Where(r => r.Created).Select(r => r.WorkOrderNumber).ToList();
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
    }

    [Fact]
    public async Task With_the_order_system_dead_orders_are_unavailable_within_the_deadline_and_the_circuit_opens_then_closes()
    {
        var client = fixture.Host.Client;
        static GetRecentOrdersRequest Ask(string customer) => new() { TenantId = "t1", CustomerId = customer };
        var known = await client.GetRecentOrdersAsync(Ask("c-drill-known"), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(15)));
        Assert.Equal(Availability.Live, known.Availability);
        Assert.Equal(0, fixture.Host.CircuitStateMetric());

        fixture.Simulator.Kill();
        try
        {
            var deadline = TimeSpan.FromSeconds(3);
            var clock = Stopwatch.StartNew();
            var unknown = await client.GetRecentOrdersAsync(Ask("c-drill-never-asked"), new CallOptions(deadline: DateTime.UtcNow + deadline));
            Assert.True(clock.Elapsed < deadline, $"answered after {clock.Elapsed}");
            Assert.Equal(Availability.Unavailable, unknown.Availability);
            Assert.Contains("orders", unknown.UnavailableReason);
            Assert.Empty(unknown.Orders);

            // The customer asked before is answered from the last live answer.
            var cached = await client.GetRecentOrdersAsync(Ask("c-drill-known"), new CallOptions(deadline: DateTime.UtcNow + deadline));
            Assert.Equal(Availability.Cached, cached.Availability);
            Assert.Equal(known.Orders, cached.Orders);

            for (int i = 0; i < 10 && fixture.Host.CircuitStateMetric() != 1; i++)
                await client.GetRecentOrdersAsync(Ask($"c-drill-{i}"), new CallOptions(deadline: DateTime.UtcNow + deadline));
            Assert.Equal(1, fixture.Host.CircuitStateMetric());
            Assert.True(fixture.Host.Logs.Any(l => l.Contains("Circuit to legacy system orders opened")));

            // While open, the order system is not even tried: the answer says so at once.
            clock.Restart();
            var whileOpen = await client.GetRecentOrdersAsync(Ask("c-drill-open"), new CallOptions(deadline: DateTime.UtcNow + deadline));
            Assert.Equal(Availability.Unavailable, whileOpen.Availability);
            Assert.Contains("circuit open", whileOpen.UnavailableReason);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"answered after {clock.Elapsed} with the circuit open");
        }
        finally
        {
            await fixture.Simulator.StartAgainAsync();
        }

        // After the break a probe reaches the order system again and the circuit closes.
        var again = await Eventually.GetAsync(
            () => client.GetRecentOrdersAsync(Ask("c-drill-back"), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10))).ResponseAsync,
            orders => orders.Availability == Availability.Live, "orders answered live again", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        Assert.Equal(Availability.Live, again.Availability);
        Assert.Equal(0, fixture.Host.CircuitStateMetric());
        Assert.True(fixture.Host.Logs.Any(l => l.Contains("Circuit to legacy system orders closed")));
    }

    [Fact]
    public async Task A_result_that_comes_while_NATS_is_down_is_published_when_NATS_returns()
    {
        var request = OrderSystemFixture.Request("Answered while NATS is away");
        string id = request.TicketRequestId;
        // The order system is away at first, so the work order waits in RabbitMQ until NATS is gone too.
        fixture.Simulator.Kill();
        bool natsStopped = false;
        try
        {
            await fixture.PublishRequestAsync(request);
            await Eventually.UntilAsync(async () => await fixture.TicketRowAsync(id) is { Sent: true }, "the work order handed over", Patience,
                TimeSpan.FromMilliseconds(200));
            await fixture.Nats.StopAsync();
            natsStopped = true;
            await fixture.Simulator.StartAgainAsync();
            await Eventually.UntilAsync(async () => await fixture.TicketRowAsync(id) is { State: "created" }, "the answer recorded", Patience,
                TimeSpan.FromMilliseconds(200));
            Assert.Empty(fixture.ResultsFor([id]));
        }
        finally
        {
            if (natsStopped) await fixture.Nats.StartAgainAsync();
        }

        // Fails, when no result comes, with what the adapter logged about it and its warnings.
        var results = await fixture.ResultsForAsync([id], TimeSpan.FromSeconds(60));
        var result = Assert.Single(results[id]);
        Assert.True(result.Created);
        Assert.Equal((await fixture.TicketRowAsync(id))?.Number, result.WorkOrderNumber);
        await Task.Delay(TimeSpan.FromSeconds(2)); // absence: time for a second result, were there one, to show
        Assert.Single(fixture.ResultsFor([id])[id]);
    }
}
