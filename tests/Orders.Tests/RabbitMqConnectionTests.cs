using CustomerService.Orders.Tickets;
using Xunit;

namespace CustomerService.Orders.Tests;

public class RabbitMqConnectionTests
{
    [Fact]
    public void Reads_the_connection_string_Aspire_writes()
    {
        var c = RabbitMqConnection.Parse("amqp://cs:p%40ss%3Aword@10.0.0.5:5673/tickets");
        Assert.Equal(new RabbitMqConnection("10.0.0.5", 5673, "tickets", "cs", "p@ss:word"), c);
    }

    [Fact]
    public void Defaults_to_port_5672_the_root_vhost_and_guest()
    {
        Assert.Equal(new RabbitMqConnection("127.0.0.1", 5672, "/", "guest", "guest"), RabbitMqConnection.Parse("amqp://127.0.0.1"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("http://127.0.0.1:5672")]
    [InlineData("not a url")]
    public void Refuses_what_is_not_an_amqp_url(string? connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RabbitMqConnection.Parse(connectionString));
        Assert.Contains("rabbitmq", error.Message);
    }
}
