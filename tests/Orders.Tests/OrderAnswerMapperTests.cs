using System.Text;
using CustomerService.AdapterKit.Mapping;
using CustomerService.Contracts;
using CustomerService.Orders.LegacyOrderSystem;
using CustomerService.Orders.RecentOrders;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>The order system's REST answers, JSON and XML, mapped to contract orders with the shipped configuration.</summary>
public class OrderAnswerMapperTests
{
    private const string Json = """
        {"customerId":"42","orders":[
          {"orderNo":"SO1","status":"SHIPPED","payAmount":1004.27,"currency":"CNY","createTime":1795163400000,
           "items":[{"skuName":"Desk lamp","quantity":3},{"skuName":"保温杯","quantity":1}]},
          {"orderNo":"SO2","status":"WAIT_PAY","payAmount":"0.5","currency":"USD","createTime":1795037400,"items":[]}]}
        """;

    // The same two orders the way the order system's XML mode writes them.
    private const string Xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <orderList customerId="42">
          <order><orderNo>SO1</orderNo><status>SHIPPED</status><payAmount currency="CNY">1004.27</payAmount>
            <createTime>2026-11-20T16:30:00+08:00</createTime>
            <items><item><skuName>Desk lamp</skuName><quantity>3</quantity></item><item><skuName>保温杯</skuName><quantity>1</quantity></item></items></order>
          <order><orderNo>SO2</orderNo><status>WAIT_PAY</status><payAmount currency="USD">0.50</payAmount>
            <createTime>2026-11-18T21:30:00Z</createTime><items/></order>
        </orderList>
        """;

    private static IConfiguration ShippedConfiguration(params (string Key, string Value)[] overrides) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(LocalServer.RepoRoot, "adapters", "Orders", "appsettings.json"))
        .AddInMemoryCollection(overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)))
        .Build();

    private static OrderAnswerMapper Mapper(IConfiguration configuration)
    {
        var mappings = configuration.GetSection("Orders:Mapping").Get<TenantMappings>()!;
        var shapes = configuration.GetSection("Orders:Records").Get<OrderRecordShapes>()!;
        Assert.Empty(shapes.Problems());
        return new OrderAnswerMapper(new LegacyMapper<Order>(mappings), Options.Create(shapes));
    }

    private static List<Order> Map(string body, string? mediaType, string tenant = "t1", IConfiguration? configuration = null, List<string>? problems = null)
    {
        var answer = new OrderSystemAnswer(Encoding.UTF8.GetBytes(body), mediaType, "GET customers/42/orders");
        return Mapper(configuration ?? ShippedConfiguration()).Map(OrderAnswerMapper.Envelope(answer, tenant), 10, problems);
    }

    [Fact]
    public void Json_answer_maps_amounts_to_cents_times_to_epoch_ms_statuses_and_lines()
    {
        var orders = Map(Json, "application/json");

        Assert.Equal(2, orders.Count);
        var first = orders[0];
        Assert.Equal("SO1", first.OrderId);
        Assert.Equal("shipped", first.Status);
        Assert.Equal(100427, first.AmountCents);
        Assert.Equal("CNY", first.Currency);
        Assert.Equal(1795163400000, first.CreatedAtUnixMs);
        Assert.Equal(["Desk lamp ×3", "保温杯"], first.Items);
        var second = orders[1];
        Assert.Equal("awaiting_payment", second.Status);
        Assert.Equal(50, second.AmountCents);
        Assert.Equal("USD", second.Currency);
        Assert.Equal(1795037400000, second.CreatedAtUnixMs); // ten digits: seconds
        Assert.Empty(second.Items);
    }

    [Fact]
    public void Xml_answer_maps_to_the_same_orders_as_the_json_one()
    {
        var fromJson = Map(Json, "application/json");
        var fromXml = Map(Xml, "application/xml");

        Assert.Equal(fromJson, fromXml);
    }

    [Fact]
    public void Format_is_recognised_without_a_content_type()
    {
        Assert.Equal(Map(Json, "application/json"), Map(Xml, null));
        Assert.Equal(Map(Json, "application/json"), Map(Json, null));
    }

    [Fact]
    public void A_single_order_and_a_single_line_in_xml_are_lists_of_one()
    {
        var orders = Map("""<orderList><order><orderNo>SO9</orderNo><status>FINISHED</status><payAmount currency="CNY">12</payAmount><items><item><skuName>Tea set</skuName><quantity>2</quantity></item></items></order></orderList>""", "text/xml");

        var order = Assert.Single(orders);
        Assert.Equal("SO9", order.OrderId);
        Assert.Equal("completed", order.Status);
        Assert.Equal(1200, order.AmountCents);
        Assert.Equal(["Tea set ×2"], order.Items);
    }

    [Fact]
    public void A_tenant_mapping_reads_its_own_field_names_and_status_codes()
    {
        var configuration = ShippedConfiguration(
            ("Orders:Mapping:Tenants:acme:Fields:order_id", "id"),
            ("Orders:Mapping:Tenants:acme:Fields:status", "state"),
            ("Orders:Mapping:Tenants:acme:Values:status:3", "shipped"),
            ("Orders:Mapping:Tenants:acme:Values:status:*", "other"),
            ("Orders:Records:Tenants:acme:Orders", "data.list"),
            ("Orders:Records:Tenants:acme:Amount", "amountFen"),
            ("Orders:Records:Tenants:acme:AmountScale", "1"),
            ("Orders:Records:Tenants:acme:Items", "goods"));
        const string acme = """{"data":{"list":[{"id":"A-1","state":3,"amountFen":1999,"createTime":"2026-11-20T10:00:00Z","goods":["Kettle","Cup"]},{"id":"A-2","state":9}]}}""";

        var orders = Map(acme, "application/json", tenant: "acme", configuration: configuration);

        Assert.Equal(["A-1", "A-2"], orders.Select(o => o.OrderId));
        Assert.Equal(["shipped", "other"], orders.Select(o => o.Status));
        Assert.Equal(1999, orders[0].AmountCents);
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T10:00:00Z").ToUnixTimeMilliseconds(), orders[0].CreatedAtUnixMs);
        Assert.Equal(["Kettle", "Cup"], orders[0].Items);
        Assert.Equal("CNY", orders[0].Currency); // the default's default
        // Other tenants keep the default mapping.
        Assert.Equal("SO1", Map(Json, "application/json", tenant: "t2", configuration: configuration)[0].OrderId);
    }

    [Fact]
    public void An_odd_value_is_left_out_and_described_while_the_rest_of_the_order_maps()
    {
        var problems = new List<string>();
        var orders = Map("""{"orders":[{"orderNo":"SO5","status":"PAID","payAmount":"twelve","createTime":"yesterday"}]}""", "application/json", problems: problems);

        var order = Assert.Single(orders);
        Assert.Equal(("SO5", "paid", 0L, 0L), (order.OrderId, order.Status, order.AmountCents, order.CreatedAtUnixMs));
        Assert.Contains(problems, p => p.Contains("twelve"));
        Assert.Contains(problems, p => p.Contains("yesterday"));
    }

    [Fact]
    public void The_limit_caps_the_orders_mapped()
    {
        var answer = new OrderSystemAnswer(Encoding.UTF8.GetBytes(Json), "application/json", "GET");
        Assert.Single(Mapper(ShippedConfiguration()).Map(OrderAnswerMapper.Envelope(answer, "t1"), 1));
    }

    [Theory]
    [InlineData("<orderList><order>", "malformed XML")]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><orderList>&e;</orderList>""", "DTD")]
    [InlineData("{\"orders\":[", "malformed JSON")]
    public void Malformed_answers_fail_with_a_clear_format_error(string body, string expected)
    {
        var answer = new OrderSystemAnswer(Encoding.UTF8.GetBytes(body), body.StartsWith('<') ? "application/xml" : "application/json", "GET");
        var error = Assert.Throws<FormatException>(() => OrderAnswerMapper.Envelope(answer, "t1"));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Deeply_nested_xml_is_refused_quickly()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100_000)) + string.Concat(Enumerable.Repeat("</a>", 100_000));
        var started = DateTime.UtcNow;
        var error = Assert.Throws<FormatException>(() => XmlToJson.Convert(Encoding.UTF8.GetBytes(deep)));
        Assert.Contains("deeper than", error.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Xml_attributes_text_and_repeated_elements_become_json_members()
    {
        var json = Encoding.UTF8.GetString(XmlToJson.Convert(Encoding.UTF8.GetBytes(
            """<r id="1"><p currency="CNY">9.90</p><i>a</i><i>b</i><e/><t>  x  </t></r>""")));
        Assert.Equal("""{"@id":"1","p":{"@currency":"CNY","#text":"9.90"},"i":["a","b"],"e":"","t":"x"}""", json);
    }
}
