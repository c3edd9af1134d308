using OrderList = CustomerService.Contracts.RecentOrders;
using System.Globalization;
using System.Text.Json;
using CustomerService.Contracts;
using Grpc.Core;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>GetRecentOrders over gRPC against the real Java order system, in its JSON and its XML form.</summary>
[Collection(OrderSystemCollection.Name)]
public class RecentOrdersTests(OrderSystemFixture fixture)
{
    private static CallOptions Deadline(int seconds = 15) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    private async Task<OrderList> AskAsync(string customerId, int limit = 0) =>
        await fixture.Host.Client.GetRecentOrdersAsync(new GetRecentOrdersRequest { TenantId = "t1", CustomerId = customerId, Limit = limit }, Deadline());

    [Fact]
    public async Task Orders_come_from_the_order_system_as_it_wrote_them()
    {
        using var http = new HttpClient();
        int lines = 0;
        for (int i = 1; i <= 15; i++)
        {
            string customer = $"c-{700 + i}";
            using var raw = JsonDocument.Parse(await http.GetStringAsync($"{fixture.Simulator.BaseUrl}/customers/{customer}/orders"));
            var expected = raw.RootElement.GetProperty("orders").EnumerateArray().ToList();

            var answer = await AskAsync(customer);

            Assert.Equal(Availability.Live, answer.Availability);
            Assert.Equal(expected.Count, answer.Orders.Count);
            for (int o = 0; o < expected.Count; o++)
            {
                var (want, got) = (expected[o], answer.Orders[o]);
                Assert.Equal(want.GetProperty("orderNo").GetString(), got.OrderId);
                Assert.Equal((long)(decimal.Parse(want.GetProperty("payAmount").GetRawText(), CultureInfo.InvariantCulture) * 100), got.AmountCents);
                Assert.Equal(want.GetProperty("createTime").GetInt64(), got.CreatedAtUnixMs);
                Assert.Equal("CNY", got.Currency);
                Assert.Contains(got.Status, new[] { "awaiting_payment", "paid", "shipped", "completed", "cancelled" });
                Assert.Equal(want.GetProperty("items").GetArrayLength(), got.Items.Count);
                lines += got.Items.Count;
            }
        }
        Assert.True(lines > 15, "the generated customers had almost no order lines");
    }

    [Fact]
    public async Task The_xml_order_system_gives_the_same_orders_as_the_json_one()
    {
        // A second adapter instance in front of the XML-speaking order system; same data, other format.
        var settings = fixture.Settings();
        settings["Orders:BaseUrl"] = fixture.XmlSimulator.BaseUrl;
        settings["Tickets:ConsumerName"] = "orders-tickets-xml-test";
        settings["Tickets:ResultsQueue"] = "xml-test.work-order-results";
        settings["Tickets:WorkOrdersQueue"] = "xml-test.work-orders";
        await using var xmlAdapter = await OrdersHost.StartAsync(settings);

        using var http = new HttpClient();
        var answer = await http.GetAsync($"{fixture.XmlSimulator.BaseUrl}/customers/c-1/orders");
        Assert.Equal("application/xml", answer.Content.Headers.ContentType?.MediaType);

        for (int i = 1; i <= 10; i++)
        {
            var request = new GetRecentOrdersRequest { TenantId = "t1", CustomerId = $"客户-{i}" };
            var fromJson = await fixture.Host.Client.GetRecentOrdersAsync(request, Deadline());
            var fromXml = await xmlAdapter.Client.GetRecentOrdersAsync(request, Deadline());
            Assert.Equal(Availability.Live, fromXml.Availability);
            Assert.NotEmpty(fromXml.Orders);
            Assert.Equal(fromJson.Orders, fromXml.Orders);
        }
    }

    [Fact]
    public async Task The_order_system_answers_xml_when_asked_for_it()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{fixture.Simulator.BaseUrl}/customers/c-9/orders");
        request.Headers.Accept.ParseAdd("application/xml");
        using var answer = await http.SendAsync(request);
        Assert.Equal("application/xml", answer.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<?xml", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_customer_the_order_system_does_not_know_has_no_orders()
    {
        var answer = await AskAsync("unknown-55");
        Assert.Equal(Availability.Live, answer.Availability);
        Assert.Empty(answer.Orders);
    }

    [Fact]
    public async Task The_limit_is_honoured()
    {
        // Find a customer with several orders, then ask for fewer.
        for (int i = 0; i < 40; i++)
        {
            var all = await AskAsync($"c-limit-{i}");
            if (all.Orders.Count < 3) continue;
            var two = await AskAsync($"c-limit-{i}", limit: 2);
            Assert.Equal(all.Orders.Take(2), two.Orders);
            return;
        }
        Assert.Fail("no generated customer had three orders");
    }

    [Fact]
    public async Task A_request_without_tenant_or_customer_is_refused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await fixture.Host.Client.GetRecentOrdersAsync(new GetRecentOrdersRequest { TenantId = "t1" }, Deadline()));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
