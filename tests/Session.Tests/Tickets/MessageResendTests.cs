using CustomerService.Contracts;
using StackExchange.Redis;

namespace CustomerService.Session.Tests.Tickets;

/// <summary>JetStream acknowledges a re-published message id as a duplicate; Session takes that as stored, not as a failure.</summary>
[Collection(SessionCollection.Name)]
public sealed class MessageResendTests(SessionFixture fixture)
{
    [Fact]
    public async Task A_resend_whose_first_copy_left_the_recent_list_is_acknowledged_with_its_first_seq()
    {
        string tenant = "t" + Guid.NewGuid().ToString("N")[..10];
        var conversation = await fixture.AssignedConversationAsync(tenant, "v1", "alice");
        await using var customer = await fixture.Host.ConnectAsync(tenant, "v1", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");

        await customer.SendAsync(new { type = "message", clientId = "m1", text = "hello", conversationId = conversation });
        var first = await customer.NextAsync("ack");
        Assert.Equal((1L, false), ((long?)first["seq"], (bool?)first["duplicate"]));
        // The recent list no longer has it (trimmed, or Redis lost it): the resend is published again.
        await fixture.Host.Get<IConnectionMultiplexer>().GetDatabase().KeyDeleteAsync(RedisKeys.RecentMessages(tenant, conversation));
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "hello", conversationId = conversation });

        var ack = await customer.NextAsync("ack", match: f => (bool?)f["duplicate"] == true);
        Assert.Equal(1, (long?)ack["seq"]);
        Assert.DoesNotContain(customer.Seen, f => (string?)f["type"] == "error");
        Assert.Single(await fixture.StoredAsync(Microsoft.Extensions.Hosting.ChatStreams.Messages, Subjects.Message(tenant, conversation)));
    }
}
