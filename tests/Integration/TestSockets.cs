namespace CustomerService.Integration;

/// <summary>
/// The sockets one platform test opens. Disposing leaves a clean slate for the next test: the conversations the
/// test started are ended (by whichever of its sockets still holds them), its agents go offline, the sockets close.
/// </summary>
public sealed class TestSockets(PlatformFixture platform) : IAsyncDisposable
{
    private readonly List<ChatClient> _sockets = [];
    private readonly List<ChatClient> _agents = [];

    public ChatClient Add(ChatClient socket, bool agent = false)
    {
        _sockets.Add(socket);
        if (agent) _agents.Add(socket);
        return socket;
    }

    /// <summary>A demo agent signed in and online, with Routing knowing it (the pong follows the presence).</summary>
    public async Task<ChatClient> OnlineAgentAsync(string login, string password)
    {
        var (token, _) = await platform.LoginAsync(login, password);
        var agent = Add(await platform.AgentSocketAsync(token), agent: true);
        await agent.SendAsync(new { type = "hello", status = "online" });
        await agent.ExpectAsync("welcome");
        await agent.SendAsync(new { type = "ping" });
        await agent.ExpectAsync("pong");
        return agent;
    }

    /// <summary>A visitor (new, or the one holding the given secret again) with a socket that said hello.</summary>
    public async Task<(ChatClient Socket, string VisitorId, string Token)> CustomerAsync(string? visitorSecret = null)
    {
        var (token, id) = await platform.VisitorAsync(visitorSecret);
        var customer = Add(await platform.CustomerSocketAsync(token));
        await customer.SendAsync(new { type = "hello" });
        await customer.ExpectAsync("welcome");
        return (customer, id, token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets.Where(s => s.IsOpen))
        {
            try
            {
                foreach (var conversationId in socket.Conversations)
                    await socket.SendAsync(new { type = "end", conversationId, reason = "test over" });
                if (_agents.Contains(socket)) await socket.SendAsync(new { type = "presence", status = "offline" });
                await socket.SendAsync(new { type = "ping" });
                await socket.ExpectAsync("pong", timeout: TimeSpan.FromSeconds(5));
            }
            catch (Exception) { }
        }
        foreach (var socket in _sockets) await socket.DisposeAsync();
    }
}
