using System.Text.Json.Nodes;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Protocol;
using CustomerService.Session.Tickets;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream;

namespace CustomerService.Session.Tests.Tickets;

/// <summary>The checks of a ticket frame, without servers.</summary>
public sealed class TicketValidationTests
{
    private static ClientFrame Frame(string? conversationId = "conv1", string? title = "Broken rice cooker", string? description = null,
        string? orderId = null, string? priority = null, string? clientId = null, string? summary = null) => new()
    {
        Type = "ticket", ConversationId = conversationId, Title = title, Description = description, OrderId = orderId,
        Priority = priority, ClientId = clientId, Summary = summary,
    };

    public static TheoryData<ClientFrame, string> Refused => new()
    {
        { Frame(conversationId: null), "conversationId" },
        { Frame(conversationId: "has space"), "conversationId" },
        { Frame(title: null), "needs a title" },
        { Frame(title: "   "), "needs a title" },
        { Frame(title: new string('x', TicketDesk.MaxTitleLength + 1)), "limited to 200" },
        { Frame(title: "two\nlines"), "one line" },
        { Frame(description: new string('d', TicketDesk.MaxDescriptionLength + 1)), "description is limited" },
        { Frame(orderId: "SO 123"), "orderId" },
        { Frame(orderId: new string('1', 65)), "orderId" },
        { Frame(priority: "asap"), "priority must be low, normal, high or urgent" },
        { Frame(clientId: "bad id!"), "clientId" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_frame_missing_or_breaking_a_rule_is_refused_with_the_rule(ClientFrame frame, string expected)
    {
        var (input, error) = TicketDesk.Validate(frame);
        Assert.Null(input);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void A_full_frame_is_trimmed_and_its_summary_puts_each_part_on_its_own_line()
    {
        var (input, error) = TicketDesk.Validate(Frame(title: "  Broken rice cooker ", description: " Arrived cracked.\nCustomer wants a new one. ",
            orderId: "SO-2026-0042", priority: "HIGH", clientId: "t-1"));
        Assert.Null(error);
        Assert.Equal(new TicketInput("conv1", "Broken rice cooker", "Arrived cracked.\nCustomer wants a new one.", "SO-2026-0042", "high", "t-1"), input);
        Assert.Equal("Broken rice cooker\nArrived cracked.\nCustomer wants a new one.\nOrder: SO-2026-0042\nPriority: high", input!.Summary());
    }

    [Fact]
    public void A_title_alone_is_enough_and_the_older_summary_field_is_read_as_the_title()
    {
        var (input, _) = TicketDesk.Validate(Frame(title: null, summary: "Refund please"));
        Assert.Equal("Refund please", input!.Summary());
        Assert.Equal(TicketDesk.DefaultPriority, input.Priority);
    }

    [Fact]
    public void The_request_id_follows_the_client_id_and_is_new_without_one()
    {
        Assert.Equal(TicketDesk.RequestId("acme", "c1", "x"), TicketDesk.RequestId("acme", "c1", "x"));
        Assert.NotEqual(TicketDesk.RequestId("acme", "c1", "x"), TicketDesk.RequestId("acme", "c2", "x"));
        Assert.NotEqual(TicketDesk.RequestId("acme", "c1", "x"), TicketDesk.RequestId("other", "c1", "x"));
        Assert.NotEqual(TicketDesk.RequestId("acme", "c1", null), TicketDesk.RequestId("acme", "c1", null));
        Assert.Matches("^[0-9a-f]{32}$", TicketDesk.RequestId("acme", "c1", "x"));
    }
}

/// <summary>
/// The ticket frame over a real socket to Session on a real NATS and Redis: refusals, the TicketRequested stored in
/// TICKETS, and the order system's results (published as the Orders adapter publishes them) coming back into the
/// conversation.
/// </summary>
[Collection(SessionCollection.Name)]
public sealed class TicketFrameTests(SessionFixture fixture) : IAsyncLifetime
{
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..10];
    private readonly List<TestSocket> _sockets = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var socket in _sockets) await socket.DisposeAsync();
    }

    private async Task<TestSocket> ConnectAsync(string user, string role)
    {
        var socket = await fixture.Host.ConnectAsync(_tenant, user, role);
        _sockets.Add(socket);
        await socket.SendAsync(new { type = "hello" });
        await socket.NextAsync("welcome");
        return socket;
    }

    private Task<List<INatsJSMsg<byte[]>>> RequestsAsync() =>
        fixture.StoredAsync(Subjects.TicketStreamName, Subjects.TicketRequested(_tenant));

    [Fact]
    public async Task Refused_ticket_frames_get_an_error_frame_each_and_publish_nothing()
    {
        var mine = await fixture.AssignedConversationAsync(_tenant, "v1", "alice");
        var bobs = await fixture.AssignedConversationAsync(_tenant, "v2", "bob");
        var ended = await fixture.AssignedConversationAsync(_tenant, "v3", "alice");
        await fixture.Store.MoveAsync(_tenant, ended, ConversationStates.Ended);
        var customer = await ConnectAsync("v1", Roles.Visitor);
        var agent = await ConnectAsync("alice", Roles.Agent);

        await customer.SendAsync(new { type = "ticket", conversationId = mine, title = "Refund", clientId = "k0" });
        var refused = await customer.NextAsync("error");
        Assert.Equal(("forbidden", "k0"), ((string?)refused["code"], (string?)refused["clientId"]));

        (object Frame, string Code, string Says)[] cases =
        [
            (new { type = "ticket", title = "Refund", clientId = "k1" }, "invalid", "conversationId"),
            (new { type = "ticket", conversationId = mine, clientId = "k2" }, "invalid", "title"),
            (new { type = "ticket", conversationId = mine, title = "Refund", priority = "asap", clientId = "k3" }, "invalid", "priority"),
            (new { type = "ticket", conversationId = mine, title = "Refund", orderId = "SO 1", clientId = "k4" }, "invalid", "orderId"),
            (new { type = "ticket", conversationId = mine, title = new string('x', 201), clientId = "k5" }, "invalid", "200"),
            (new { type = "ticket", conversationId = "nosuchconversation", title = "Refund", clientId = "k6" }, "not_found", "no such conversation"),
            (new { type = "ticket", conversationId = bobs, title = "Refund", clientId = "k7" }, "forbidden", "not your conversation"),
            (new { type = "ticket", conversationId = ended, title = "Refund", clientId = "k8" }, "conversation_ended", "ended"),
        ];
        for (int i = 0; i < cases.Length; i++)
        {
            await agent.SendAsync(cases[i].Frame);
            var error = await agent.NextAsync("error");
            Assert.Equal(cases[i].Code, (string?)error["code"]);
            Assert.Contains(cases[i].Says, (string?)error["message"]);
            Assert.Equal($"k{i + 1}", (string?)error["clientId"]);
        }
        // The socket lives on: a valid frame after the refusals is taken.
        await agent.SendAsync(new { type = "ticket", conversationId = mine, title = "Refund", clientId = "k9" });
        Assert.Equal("requested", (string?)(await agent.NextAsync("ticket"))["status"]);

        var stored = await RequestsAsync();
        Assert.Equal(TicketDesk.RequestId(_tenant, mine, "k9"), Assert.Single(stored).Headers?["Nats-Msg-Id"].ToString());
    }

    [Fact]
    public async Task A_ticket_is_stored_once_in_TICKETS_with_its_request_id_and_a_resend_is_the_same_ticket()
    {
        var conversation = await fixture.AssignedConversationAsync(_tenant, "v1", "alice");
        var agent = await ConnectAsync("alice", Roles.Agent);
        var frame = new
        {
            type = "ticket", conversationId = conversation, clientId = "raise-1", title = "Rice cooker arrived broken",
            description = "Lid cracked; customer wants a replacement", orderId = "SO-2026-0042", priority = "urgent",
        };

        await agent.SendAsync(frame);
        var first = await agent.NextAsync("ticket");
        await agent.SendAsync(frame); // the answer was lost, the console sends again
        var second = await agent.NextAsync("ticket");

        string id = TicketDesk.RequestId(_tenant, conversation, "raise-1");
        Assert.Equal(("requested", id, conversation, "raise-1", false), ((string?)first["status"], (string?)first["ticketRequestId"],
            (string?)first["conversationId"], (string?)first["clientId"], (bool?)first["duplicate"]));
        Assert.Equal((id, true), ((string?)second["ticketRequestId"], (bool?)second["duplicate"]));

        var stored = Assert.Single(await RequestsAsync());
        Assert.Equal(Subjects.TicketRequested(_tenant), stored.Subject);
        Assert.Equal(id, stored.Headers?["Nats-Msg-Id"].ToString());
        var request = TicketRequested.Parser.ParseFrom(stored.Data);
        Assert.Equal((id, _tenant, conversation, "v1", "alice"),
            (request.TicketRequestId, request.TenantId, request.ConversationId, request.CustomerId, request.AgentId));
        Assert.Equal(("Rice cooker arrived broken", "Lid cracked; customer wants a replacement", "SO-2026-0042", "urgent"),
            (request.Title, request.Description, request.OrderId, request.Priority));
        Assert.Equal("Rice cooker arrived broken\nLid cracked; customer wants a replacement\nOrder: SO-2026-0042\nPriority: urgent", request.Summary);
        Assert.InRange(request.RequestedAtUnixMs, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_created_work_order_is_posted_as_a_numbered_system_message_that_customer_and_agent_see_and_that_is_archived()
    {
        var conversation = await fixture.AssignedConversationAsync(_tenant, "v1", "alice");
        var customer = await ConnectAsync("v1", Roles.Visitor);
        var agent = await ConnectAsync("alice", Roles.Agent);
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "我的电饭煲坏了", conversationId = conversation });
        Assert.Equal(1, (long?)(await customer.NextAsync("ack"))["seq"]);
        await agent.SendAsync(new { type = "ticket", conversationId = conversation, clientId = "raise-1", title = "Rice cooker arrived broken" });
        var requested = await agent.NextAsync("ticket");
        string id = (string)requested["ticketRequestId"]!;

        var result = new TicketResult
        {
            TicketRequestId = id, TenantId = _tenant, ConversationId = conversation, Created = true, WorkOrderNumber = "WO-2026-000123",
        };
        await fixture.PublishResultAsync(result);

        var toAgent = await agent.NextAsync("message", match: f => (string?)f["sender"]?["kind"] == "system");
        var toCustomer = await customer.NextAsync("message", match: f => (string?)f["sender"]?["kind"] == "system");
        Assert.Equal(toAgent.ToJsonString(), toCustomer.ToJsonString());
        Assert.Equal(2, (long?)toAgent["seq"]);
        Assert.Equal(conversation, (string?)toAgent["conversationId"]);
        Assert.Equal("Work order WO-2026-000123 has been created: Rice cooker arrived broken", (string?)toAgent["text"]);
        Assert.Equal("WO-2026-000123", (string?)toAgent["metadata"]?["ticket.workOrderNumber"]);
        Assert.Equal(TicketResultListener.MessageClientId(id), (string?)toAgent["clientId"]);
        var status = await agent.NextAsync("ticket", match: f => (string?)f["status"] == "created");
        Assert.Equal((id, "WO-2026-000123", 2L, "raise-1", "Rice cooker arrived broken"),
            ((string?)status["ticketRequestId"], (string?)status["workOrderNumber"], (long?)status["seq"], (string?)status["clientId"], (string?)status["title"]));

        // Archived like every message: in CHAT_MESSAGES (HistoryWriter's source) and in the recent list.
        var archived = (await fixture.StoredAsync(ChatStreams.Messages, Subjects.Message(_tenant, conversation)))
            .Select(m => ChatMessage.Parser.ParseFrom(m.Data)).ToList();
        var posted = Assert.Single(archived, m => m.Sender.Kind == ParticipantKind.System);
        Assert.Equal((2L, "WO-2026-000123"), (posted.Seq, posted.Metadata["ticket.workOrderNumber"]));
        Assert.Contains(await fixture.Store.GetRecentAsync(_tenant, conversation), m => m.Seq == 2 && m.Sender.Kind == ParticipantKind.System);

        // The same result again (an adapter crash between publishing and recording it): nothing is posted twice.
        await fixture.PublishResultAsync(result, messageId: id + ":result-again");
        await WaitForLogAsync($"Ticket {id}: work order WO-2026-000123 posted to {_tenant}/{conversation} as seq 2 (duplicate: True)");
        Assert.Equal(2, (await fixture.Store.GetAsync(_tenant, conversation))!.LastSeq);
        Assert.Single(await fixture.StoredAsync(ChatStreams.Messages, Subjects.Message(_tenant, conversation)),
            m => ChatMessage.Parser.ParseFrom(m.Data).Sender.Kind == ParticipantKind.System);
    }

    [Fact]
    public async Task A_rejected_ticket_reaches_the_agents_with_the_reason_and_posts_nothing_to_the_customer()
    {
        var conversation = await fixture.AssignedConversationAsync(_tenant, "v1", "alice");
        var customer = await ConnectAsync("v1", Roles.Visitor);
        var agent = await ConnectAsync("alice", Roles.Agent);
        await agent.SendAsync(new { type = "ticket", conversationId = conversation, clientId = "r1", title = "Please reject this one" });
        string id = (string)(await agent.NextAsync("ticket"))["ticketRequestId"]!;

        await fixture.PublishResultAsync(new TicketResult
        {
            TicketRequestId = id, TenantId = _tenant, ConversationId = conversation, Created = false, Reason = "refused by the order system",
        });

        var status = await agent.NextAsync("ticket", match: f => (string?)f["status"] == "rejected");
        Assert.Equal((id, "refused by the order system", "r1", "Please reject this one"),
            ((string?)status["ticketRequestId"], (string?)status["reason"], (string?)status["clientId"], (string?)status["title"]));
        Assert.Null(status["workOrderNumber"]);
        // Nothing numbered: the customer's next message is seq 1, and the customer saw no ticket frame before it.
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "还在吗？", conversationId = conversation });
        Assert.Equal(1, (long?)(await customer.NextAsync("ack"))["seq"]);
        Assert.DoesNotContain(customer.Seen, f => (string?)f["type"] == "ticket" || (string?)f["sender"]?["kind"] == "system");
    }

    [Fact]
    public async Task A_result_for_an_ended_conversation_is_not_posted_and_does_not_stop_the_ones_after_it()
    {
        var ended = await fixture.AssignedConversationAsync(_tenant, "v1", "alice");
        var open = await fixture.AssignedConversationAsync(_tenant, "v2", "alice");
        await fixture.Store.MoveAsync(_tenant, ended, ConversationStates.Ended);
        var agent = await ConnectAsync("alice", Roles.Agent);

        await fixture.PublishResultAsync(new TicketResult { TicketRequestId = "late-" + _tenant, TenantId = _tenant, ConversationId = ended, Created = true, WorkOrderNumber = "WO-2026-000900" });
        await fixture.PublishResultAsync(new TicketResult { TicketRequestId = "next-" + _tenant, TenantId = _tenant, ConversationId = open, Created = true, WorkOrderNumber = "WO-2026-000901" });

        var posted = await agent.NextAsync("message", match: f => (string?)f["conversationId"] == open);
        Assert.Equal("Work order WO-2026-000901 has been created.", (string?)posted["text"]);
        await WaitForLogAsync($"Ticket late-{_tenant}: work order not posted to {_tenant}/{ended}: the conversation has ended");
        Assert.Equal(0, (await fixture.Store.GetAsync(_tenant, ended))!.LastSeq);
    }

    [Fact]
    public async Task A_result_that_is_not_a_TicketResult_is_dropped_and_the_next_one_is_handled()
    {
        var conversation = await fixture.AssignedConversationAsync(_tenant, "v1", "alice");
        var agent = await ConnectAsync("alice", Roles.Agent);
        var ack = await fixture.JetStream.PublishAsync(Subjects.TicketResult(_tenant), new byte[] { 0xff, 0xff, 0xff },
            opts: new NatsJSPubOpts { MsgId = "garbage-" + _tenant });
        ack.EnsureSuccess();
        await fixture.PublishResultAsync(new TicketResult { TicketRequestId = "after-" + _tenant, TenantId = _tenant, ConversationId = conversation, Created = true, WorkOrderNumber = "WO-2026-000902" });

        Assert.Equal("WO-2026-000902", (string?)(await agent.NextAsync("ticket"))["workOrderNumber"]);
        Assert.True(fixture.Host.Logs.Any(l => l.StartsWith($"Dropped an unreadable ticket result on {Subjects.TicketResult(_tenant)}")));
    }

    private Task WaitForLogAsync(string line) =>
        Eventually.UntilAsync(() => fixture.Host.Logs.Any(l => l == line), $"the log line '{line}'", TimeSpan.FromSeconds(15),
            context: () => "lines:\n" + string.Join("\n", fixture.Host.Logs.All.Select(l => l.Message)));
}
