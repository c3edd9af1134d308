using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CustomerService.Integration.Browser;

/// <summary>
/// The pages in a real browser against the real platform through the gateway: a customer chats from the widget
/// on the demo shop (or the H5 page on a phone), agents answer, transfer and end from the console.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class PageTests(PlatformFixture platform, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    private static readonly (string Login, string Password)[] Agents = [("alice", "alice123"), ("bob", "bob123")];
    private readonly List<IBrowserContext> _contexts = [];
    /// <summary>Agents a test created for itself: cleaned up like the demo ones (a console of theirs left online took the next test's customer).</summary>
    private readonly List<(string Login, string Password)> _createdAgents = [];
    private readonly List<string> _dialogs = [];
    private Uri Gateway => platform.Gateway().BaseAddress!;

    private static readonly BrowserNewContextOptions Desktop = new() { ViewportSize = new() { Width = 1280, Height = 800 }, Locale = "en-US" };

    private static readonly BrowserNewContextOptions Phone = new()
    {
        ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2, Locale = "zh-CN",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// Routing state is shared by every test of the platform collection: the agents used here, and those a test
    /// created, end whatever they still hold and go offline, so the next test routes on a clean slate (a closed
    /// console keeps its agent online for Session's 20 s grace: the created agent of the sign-out test, idle, took
    /// the customer of the test after it).
    /// </summary>
    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
        foreach (var (login, password) in Agents.Concat(_createdAgents))
        {
            var (token, _) = await platform.LoginAsync(login, password);
            await using var agent = await platform.AgentSocketAsync(token);
            await agent.SendAsync(new { type = "hello", status = "away" });
            var welcome = await agent.ExpectAsync("welcome");
            foreach (var conversation in welcome["conversations"]!.AsArray())
                if ((string?)conversation!["state"] != "ended")
                    await agent.SendAsync(new { type = "end", conversationId = (string)conversation["conversationId"]!, reason = "test over" });
            await agent.SendAsync(new { type = "presence", status = "offline" });
            await agent.SendAsync(new { type = "ping" });
            await agent.ExpectAsync("pong", timeout: TimeSpan.FromSeconds(5));
        }
        Assert.Empty(_dialogs); // no page may open an alert: a script injected through a message would
    }

    private async Task<IPage> NewPageAsync(BrowserNewContextOptions options)
    {
        var context = await chromium.Browser.NewContextAsync(options);
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        page.Dialog += (_, dialog) => { lock (_dialogs) _dialogs.Add(dialog.Message); };
        return page;
    }

    private static string Id() => Guid.NewGuid().ToString("N")[..8];

    private Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(chromium.Artifacts, name) });

    [Fact]
    public async Task The_landing_page_links_to_the_widget_demo_and_the_console_and_lists_the_demo_accounts()
    {
        var page = await NewPageAsync(Desktop);
        await page.GotoAsync(Gateway.ToString());
        await Expect(page.Locator("h1")).ToHaveTextAsync("Customer Service Platform");
        await Expect(page.Locator("table")).ToContainTextAsync("alice123");
        await page.Locator("[data-testid=try-widget]").ClickAsync();
        await Expect(page.Locator("[data-testid=chat-bubble]")).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await page.GoBackAsync();
        await page.Locator("[data-testid=open-console]").ClickAsync();
        await Expect(page.Locator("[data-testid=login]")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_customer_chats_from_the_widget_an_agent_answers_transfers_and_it_ends_and_the_customer_sees_it_all_after_a_reload()
    {
        var alice = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, "alice", "alice123");
        var shop = await NewPageAsync(Desktop);
        await shop.GotoAsync(new Uri(Gateway, "/shop/").ToString());
        var customer = new Pages.CustomerChat(shop);
        await customer.OpenWidgetAsync();

        await ConversationAsync(customer, alice, screenshots: ("widget.png", "console.png"), queueShot: "console-queue.png");

        await shop.ReloadAsync();
        await customer.OpenWidgetAsync();
        await customer.SeesAsync("Where is my order");
        await customer.SeesAsync("Let me check");
        await Expect(shop.Locator("[data-testid=ended]").First).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
    }

    [Fact]
    public async Task The_same_conversation_works_on_a_phone_with_the_full_page_chat_in_Chinese()
    {
        var alice = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, "alice", "alice123");
        var phone = await NewPageAsync(Phone);
        await phone.GotoAsync(new Uri(Gateway, "/chat?siteKey=demo-site-key").ToString());
        var customer = new Pages.CustomerChat(phone);
        await Expect(phone.Locator("[data-testid=send]")).ToHaveTextAsync("发送", new() { Timeout = Pages.Patience });

        await ConversationAsync(customer, alice, screenshots: ("h5-chat.png", null));

        await phone.ReloadAsync();
        await customer.SeesAsync("Where is my order");
        await customer.SeesAsync("Let me check");
        await Expect(phone.Locator("[data-testid=ended]").First).ToHaveTextAsync("会话已结束", new() { Timeout = Pages.Patience });
    }

    /// <summary>
    /// The customer writes, alice receives and answers (typing and read receipts both ways), hands the
    /// conversation to bob, and bob ends it; the customer sees each step.
    /// </summary>
    /// <remarks>
    /// alice is away when the customer writes: the customer waits, and alice's Queue shows them (by the name their
    /// visitor token carries, "Visitor" and the start of their id) with the time waited; going online, she takes the
    /// conversation.
    /// </remarks>
    private async Task ConversationAsync(Pages.CustomerChat customer, Pages.Console alice, (string Customer, string? Console) screenshots,
        string? queueShot = null)
    {
        await alice.SetStatusAsync("away");
        var question = $"Where is my order? #{Id()}";
        await customer.WriteAsync(question);
        var visitorId = await customer.Page.EvaluateAsync<string>("() => localStorage.getItem('cs-visitor:demo-site-key')");
        var waiting = alice.Queued("Visitor " + visitorId[2..8]);
        await Expect(waiting).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await Expect(waiting.Locator("[data-testid=queued-wait]")).ToHaveTextAsync(new Regex(@"^\d+ s$|min"));
        await Expect(waiting).ToContainTextAsync(new Regex(@"#\d+ in \S+"));
        if (queueShot is not null) await ScreenshotAsync(alice.Page, queueShot);
        await alice.SetStatusAsync("online");
        var conversationId = await alice.OpenConversationAsync(question);
        await Expect(waiting).ToHaveCountAsync(0, new() { Timeout = Pages.Patience });

        await customer.TypesUntilAsync(alice.Page.Locator("[data-testid=typing]"));

        var answer = $"Let me check that for you #{Id()}";
        await alice.ReplyAsync(answer);
        await customer.SeesAsync(answer);
        // The customer has the chat open, so it reports the answer read; the console shows it.
        await Expect(alice.Line(answer)).ToContainTextAsync("read", new() { Timeout = Pages.Patience });
        await Expect(customer.Message(question).Locator("[data-testid=status]")).ToBeVisibleAsync();

        await ScreenshotAsync(customer.Page, screenshots.Customer);

        var bob = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, "bob", "bob123");
        var (_, bobId) = await platform.LoginAsync("bob", "bob123"); // transfers name an agent by account id
        // The transfer picker lists bob (online, with room) by name once Routing has him online.
        await alice.PickTransferAgentAsync(bobId);
        await Expect(alice.Page.Locator("[data-testid=transfer-agent] option:checked")).ToContainTextAsync("Bob");
        if (screenshots.Console is { } console) await ScreenshotAsync(alice.Page, console);
        await alice.HandOverAsync(conversationId, bobId, bob);
        await Expect(bob.Line(question)).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await Expect(customer.Messages).ToContainTextAsync("Bob", new() { Timeout = Pages.Patience });

        await bob.EndAsync();
        await Expect(bob.Page.Locator("[data-testid=ended]")).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await Expect(customer.Page.Locator("[data-testid=ended]").First).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
    }

    [Fact]
    public async Task A_dropped_connection_loses_nothing_and_doubles_nothing_the_unacked_message_is_resent_and_missed_ones_resumed()
    {
        var alice = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, "alice", "alice123");
        var shop = await NewPageAsync(Desktop);
        // The widget's socket goes through a route the test controls: it can swallow what the server sends, and cut it.
        var deaf = false;
        var sockets = new List<IWebSocketRoute>();
        await shop.RouteWebSocketAsync(new Regex("/ws/customer"), socket =>
        {
            var server = socket.ConnectToServer();
            lock (sockets) sockets.Add(socket);
            server.OnMessage(frame =>
            {
                if (Volatile.Read(ref deaf)) return;
                if (frame.Text is { } text) socket.Send(text);
                else if (frame.Binary is { } bytes) socket.Send(bytes);
            });
        });
        await shop.GotoAsync(new Uri(Gateway, "/shop/").ToString());
        var customer = new Pages.CustomerChat(shop);
        await customer.OpenWidgetAsync();

        var id = Id();
        await customer.WriteAsync($"first question {id}");
        await alice.OpenConversationAsync($"first question {id}");
        await alice.ReplyAsync($"first answer {id}");
        await customer.SeesAsync($"first answer {id}");

        // The link goes deaf: the server stores the next message, but its ack never reaches the widget.
        Volatile.Write(ref deaf, true);
        var composer = shop.Locator("[data-testid=composer]");
        await composer.FillAsync($"second question {id}");
        await composer.PressAsync("Enter");
        await Expect(alice.Line($"second question {id}")).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await Expect(shop.Locator(".msg.pending", new() { HasText = $"second question {id}" })).ToBeVisibleAsync();
        await alice.ReplyAsync($"second answer {id}");

        // Then it drops: the widget reconnects, resends the unacked message with its client id and resumes.
        Volatile.Write(ref deaf, false);
        IWebSocketRoute dropped;
        lock (sockets) dropped = sockets[^1];
        await dropped.CloseAsync();
        await customer.SeesAsync($"second answer {id}");
        await Expect(customer.Message($"second question {id}").Locator("[data-testid=status]")).ToBeVisibleAsync(new() { Timeout = Pages.Patience });

        foreach (var text in new[] { "first question", "first answer", "second question", "second answer" })
        {
            await Expect(customer.Message($"{text} {id}")).ToHaveCountAsync(1);
            await Expect(alice.Line($"{text} {id}")).ToHaveCountAsync(1);
        }
        lock (sockets) Assert.True(sockets.Count >= 2, "the widget opened a new socket");
        await alice.EndAsync();
    }

    [Fact]
    public async Task An_agent_raises_a_ticket_from_the_console_and_agent_and_customer_see_the_work_order_number()
    {
        var alice = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, "alice", "alice123");
        var shop = await NewPageAsync(Desktop);
        await shop.GotoAsync(new Uri(Gateway, "/shop/").ToString());
        var customer = new Pages.CustomerChat(shop);
        await customer.OpenWidgetAsync();

        var id = Id();
        var question = $"My rice cooker arrived broken #{id}";
        await customer.WriteAsync(question);
        await alice.OpenConversationAsync(question);
        await alice.ReplyAsync($"Sorry about that, I will open a ticket #{id}");
        await customer.SeesAsync($"I will open a ticket #{id}");

        // The form refuses an empty title before anything is sent.
        await alice.FillTicketAsync("");
        await alice.SubmitTicketAsync();
        await Expect(alice.Page.Locator("[data-testid=ticket-title-error]")).ToHaveTextAsync("A title is required.");
        await Expect(alice.Page.Locator("[data-testid=ticket-status]")).ToHaveCountAsync(0);

        // The order system (the Java simulator behind RabbitMQ) refuses a summary containing "reject": the agent
        // sees the reason, the customer sees nothing of it.
        var refused = $"Please reject this one {id}";
        await alice.FillTicketAsync(refused);
        await alice.SubmitTicketAsync();
        await Expect(alice.Ticket(refused)).ToHaveAttributeAsync("data-state", "rejected", new() { Timeout = Pages.Patience });
        await Expect(alice.Ticket(refused)).ToContainTextAsync("Rejected by the order system: the order desk refused the work order");

        // A real one, about one of the customer's recent orders as the order system listed them in the panel. The
        // orders are preloaded while routing, with a deadline: on a loaded machine the preload may time out, and
        // then the panel says so, no order is offered, and the agent types the order id.
        var orders = alice.Page.Locator("[data-testid=orders]");
        var noOrders = alice.Page.Locator("[data-testid=orders-unavailable]");
        // Wait for the preload's answer (orders, or the reason there are none); a conversation may come with none.
        try
        {
            await Expect(orders.Or(noOrders.Filter(new() { HasNotText = "no orders came" }))).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        }
        catch (PlaywrightException)
        {
            await Expect(noOrders).ToBeVisibleAsync();
        }
        var title = $"Replace the broken rice cooker {id}";
        await alice.FillTicketAsync(title, description: "Arrived with a cracked lid.\nCustomer wants a replacement.", priority: "high");
        var choices = alice.Page.Locator("[data-testid=ticket-order-choice]");
        string orderId;
        if (await orders.IsVisibleAsync())
        {
            var choice = choices.First;
            orderId = (await choice.TextContentAsync())!;
            Assert.Matches(@"^SO\d{14}$", orderId); // the simulator's order numbers
            await Expect(orders).ToContainTextAsync(orderId);
            await choice.ClickAsync();
        }
        else
        {
            await Expect(choices).ToHaveCountAsync(0);
            orderId = "SO20261120000042";
            await alice.Page.Locator("[data-testid=ticket-order]").FillAsync(orderId);
        }
        await Expect(alice.Page.Locator("[data-testid=ticket-order]")).ToHaveValueAsync(orderId);
        await alice.SubmitTicketAsync();

        var ticket = alice.Ticket(title);
        await Expect(ticket).ToHaveAttributeAsync("data-state", "created", new() { Timeout = Pages.Patience });
        var status = (await ticket.Locator("[data-testid=ticket-state]").TextContentAsync())!;
        var number = Regex.Match(status, @"WO-\d{4}-\d{6}").Value;
        Assert.True(number.Length > 0, $"no work order number in \"{status}\"");

        // The system message announcing it, in the agent's transcript and the customer's widget, each shown as a
        // system message rather than a party's bubble.
        var announced = $"Work order {number} has been created: {title}";
        var line = alice.Line(announced);
        await Expect(line).ToHaveCountAsync(1, new() { Timeout = Pages.Patience });
        await Expect(line).ToHaveAttributeAsync("data-kind", "system");
        await Expect(line.Locator("[data-testid=work-order]")).ToHaveTextAsync(number);
        await customer.SeesAsync(announced);
        await Expect(customer.Message(announced)).ToHaveCountAsync(1);
        await Expect(customer.Message(announced)).ToHaveClassAsync(new Regex(@"\bsystem\b"));
        await Expect(customer.Messages).Not.ToContainTextAsync(refused);
        await ScreenshotAsync(alice.Page, "console-ticket.png");
        await ScreenshotAsync(shop, "widget-ticket.png");

        await alice.EndAsync();
        await Expect(alice.Page.Locator("[data-testid=ended]")).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await Expect(shop.Locator("[data-testid=ended]").First).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
    }

    [Fact]
    public async Task An_agent_signed_out_elsewhere_is_asked_in_the_console_to_sign_in_again_and_can()
    {
        var (login, password) = await NewAgentAsync();
        var console = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, login, password);

        // The same account signs out on another device: every token of it is revoked, the console's too.
        var (other, _) = await platform.LoginAsync(login, password);
        using (var gateway = platform.Gateway())
        {
            gateway.DefaultRequestHeaders.Authorization = new("Bearer", other);
            using var logout = await gateway.PostAsync("/api/auth/logout", null);
            Assert.Equal(System.Net.HttpStatusCode.NoContent, logout.StatusCode);
        }

        // Session closes the console's socket with 4401: the console drops the sign-in and says why, not "reconnecting".
        await Expect(console.Page.Locator("[data-testid=login-notice]")).ToContainTextAsync("Sign in again", new() { Timeout = Pages.Patience });
        await ScreenshotAsync(console.Page, "console-signed-out.png");
        // Signing in again right there (no reload) opens the desk on a new token.
        await console.Page.Locator("#login").FillAsync(login);
        await console.Page.Locator("#password").FillAsync(password);
        await console.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(console.Page.Locator(".link-state.ok")).ToBeVisibleAsync(new() { Timeout = Pages.Patience });
        await Expect(console.Page.Locator("[data-testid=login-notice]")).ToHaveCountAsync(0);
    }

    /// <summary>An agent of its own (an admin creates it), so revoking its tokens touches no other test's account.</summary>
    private async Task<(string Login, string Password)> NewAgentAsync()
    {
        var (adminToken, _) = await platform.LoginAsync("admin", "admin123");
        using var admin = platform.Gateway();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        var login = "desk" + Id();
        const string password = "desk-password-1";
        using var created = await admin.PostAsJsonAsync("/api/admin/agents",
            new { login, display_name = "Desk Agent", password, role = "agent", skill_groups = new[] { "general" }, active = true });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        _createdAgents.Add((login, password));
        return (login, password);
    }

    [Fact]
    public async Task Html_and_script_in_messages_are_shown_as_text_and_never_run()
    {
        var alice = await Pages.Console.SignInAsync(await NewPageAsync(Desktop), Gateway, "alice", "alice123");
        var shop = await NewPageAsync(Desktop);
        await shop.GotoAsync(new Uri(Gateway, "/shop/").ToString());
        var customer = new Pages.CustomerChat(shop);
        await customer.OpenWidgetAsync();

        var attack = $"<img src=x onerror=\"window.__pwned='img'\"><script>window.__pwned='script'</script><b>{Id()}</b>";
        await customer.WriteAsync(attack);
        await alice.OpenConversationAsync(attack);
        await Expect(alice.Line(attack).Locator(".text")).ToHaveTextAsync(attack);

        var reply = $"<a href=\"javascript:window.__pwned='link'\">click</a><svg onload=\"window.__pwned='svg'\"></svg> {Id()}";
        await alice.ReplyAsync(reply);
        await customer.SeesAsync(reply);
        await Expect(customer.Message(reply).Locator(".text")).ToHaveTextAsync(reply);

        foreach (var page in new[] { shop, alice.Page })
        {
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__pwned ?? null"));
            Assert.Equal(0, await page.Locator("[data-testid=messages] :is(img, script, svg, a), [data-testid=transcript] :is(img, script, svg, a)").CountAsync());
        }
        await alice.EndAsync();
    }
}
