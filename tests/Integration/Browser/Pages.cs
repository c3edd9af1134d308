using CustomerService.TestInfrastructure;
using Microsoft.Playwright;

namespace CustomerService.Integration.Browser;

/// <summary>How a person uses the pages, in terms of what they see: the customer's chat and the agent console.</summary>
public static class Pages
{
    public static readonly float Patience = (float)ChatClient.Patience.TotalMilliseconds;

    /// <summary>The customer's chat (widget panel or H5 page): Playwright's CSS selectors see into its shadow root.</summary>
    public sealed class CustomerChat(IPage page)
    {
        public IPage Page => page;

        public ILocator Messages => page.Locator("[data-testid=messages]");

        public ILocator Message(string text) => page.Locator("[data-testid=message]", new() { HasText = text });

        public async Task OpenWidgetAsync()
        {
            await page.Locator("[data-testid=chat-bubble]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=chat-panel]")).ToBeVisibleAsync(new() { Timeout = Patience });
        }

        public async Task WriteAsync(string text)
        {
            var composer = page.Locator("[data-testid=composer]");
            await composer.FillAsync(text);
            await composer.PressAsync("Enter");
            // Shown as sent only once the server acknowledged it durably.
            await Assertions.Expect(Message(text).Locator("[data-testid=status]")).ToBeVisibleAsync(new() { Timeout = Patience });
        }

        /// <summary>Keeps typing (the widget signals at most every few seconds) until <paramref name="indicator"/> shows.</summary>
        public async Task TypesUntilAsync(ILocator indicator)
        {
            var composer = page.Locator("[data-testid=composer]");
            await Eventually.UntilAsync(async () =>
            {
                await composer.PressSequentiallyAsync("a");
                await Assertions.Expect(indicator).ToBeVisibleAsync(new() { Timeout = 1000 });
                return true;
            }, "the typing indicator shown while the customer types", ChatClient.Patience, TimeSpan.Zero, notYet: e => e is PlaywrightException);
            await composer.FillAsync("");
        }

        public Task SeesAsync(string text) =>
            Assertions.Expect(Message(text).First).ToBeVisibleAsync(new() { Timeout = Patience });
    }

    /// <summary>An agent's console page.</summary>
    public sealed class Console(IPage page)
    {
        public IPage Page => page;

        public static async Task<Console> SignInAsync(IPage page, Uri gateway, string login, string password)
        {
            await page.GotoAsync(new Uri(gateway, "/console/").ToString());
            await page.Locator("#login").FillAsync(login);
            await page.Locator("#password").FillAsync(password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.Locator(".link-state.ok")).ToBeVisibleAsync(new() { Timeout = Patience });
            return new Console(page);
        }

        public ILocator Conversation(string text) =>
            page.Locator("[data-testid=conversation]", new() { HasText = text });

        public ILocator Line(string text) => page.Locator("[data-testid=line]", new() { HasText = text });

        /// <summary>Waits for a conversation whose latest message is <paramref name="text"/> and opens it.</summary>
        public async Task<string> OpenConversationAsync(string text)
        {
            var item = Conversation(text).First;
            await Assertions.Expect(item).ToBeVisibleAsync(new() { Timeout = Patience });
            await item.ClickAsync();
            await Assertions.Expect(Line(text).First).ToBeVisibleAsync(new() { Timeout = Patience });
            return (await item.GetAttributeAsync("data-conversation"))!;
        }

        public async Task OpenConversationByIdAsync(string conversationId, float? timeout = null)
        {
            var item = page.Locator($"[data-testid=conversation][data-conversation='{conversationId}']");
            await Assertions.Expect(item).ToBeVisibleAsync(new() { Timeout = timeout ?? Patience });
            await item.ClickAsync();
        }

        /// <summary>
        /// Transfers the open conversation to <paramref name="to"/> and opens it there. An agent who signed in a moment
        /// ago may not be online in Routing yet: the console then shows the refusal, and the agent tries again, as a
        /// person would.
        /// </summary>
        public async Task HandOverAsync(string conversationId, string toAgentId, Console to)
        {
            for (int attempt = 1; ; attempt++)
            {
                await TransferToAgentAsync(toAgentId);
                try
                {
                    await to.OpenConversationByIdAsync(conversationId, timeout: 5_000);
                    return;
                }
                catch (PlaywrightException) when (attempt < 4)
                {
                    if (!await page.Locator("[data-testid=desk-error]").IsVisibleAsync())
                    {
                        await to.OpenConversationByIdAsync(conversationId); // not refused, only slow: the full patience
                        return;
                    }
                    await page.Locator("[data-testid=desk-error] button").ClickAsync();
                }
            }
        }

        public async Task ReplyAsync(string text)
        {
            var reply = page.Locator("[data-testid=reply]");
            await reply.FillAsync(text);
            await reply.PressAsync("Enter");
            await Assertions.Expect(Line(text).Locator(".meta", new() { HasText = "·" })).ToBeVisibleAsync(new() { Timeout = Patience });
        }

        /// <summary>
        /// Opens the transfer form and picks <paramref name="agent"/> (an account id) in the directory, once it lists
        /// them as online with room (the picker offers no one else).
        /// </summary>
        public async Task PickTransferAgentAsync(string agent)
        {
            if (!await page.Locator("[data-testid=transfer-form]").IsVisibleAsync()) await page.Locator("[data-testid=transfer]").ClickAsync();
            await Assertions.Expect(page.Locator($"[data-testid=transfer-agent] option[value='{agent}']:not([disabled])"))
                .ToBeAttachedAsync(new() { Timeout = Patience });
            await page.Locator("[data-testid=transfer-agent]").SelectOptionAsync(agent);
        }

        public async Task TransferToAgentAsync(string agent)
        {
            await PickTransferAgentAsync(agent);
            await page.Locator("[data-testid=transfer-go]").ClickAsync();
        }

        public Task SetStatusAsync(string status) => page.Locator("[data-testid=status]").SelectOptionAsync(status);

        /// <summary>A conversation waiting in the console's Queue list, by the customer shown (name or visitor id).</summary>
        public ILocator Queued(string customer) => page.Locator("[data-testid=queued]", new() { HasText = customer });

        public Task EndAsync() => page.Locator("[data-testid=end]").ClickAsync();

        /// <summary>The open conversation's tickets, each with its state in <c>data-state</c>.</summary>
        public ILocator Ticket(string title) => page.Locator("[data-testid=ticket-status]", new() { HasText = title });

        public ILocator TicketForm => page.Locator("[data-testid=ticket-form]");

        /// <summary>Opens the ticket form of the open conversation and fills it (<paramref name="orderId"/> as typed, if given).</summary>
        public async Task FillTicketAsync(string title, string description = "", string? orderId = null, string priority = "normal")
        {
            if (!await TicketForm.IsVisibleAsync()) await page.Locator("[data-testid=ticket]").ClickAsync();
            await page.Locator("[data-testid=ticket-title]").FillAsync(title);
            await page.Locator("[data-testid=ticket-description]").FillAsync(description);
            if (orderId is not null) await page.Locator("[data-testid=ticket-order]").FillAsync(orderId);
            await page.Locator("[data-testid=ticket-priority]").SelectOptionAsync(priority);
        }

        public Task SubmitTicketAsync() => page.Locator("[data-testid=ticket-go]").ClickAsync();
    }
}
