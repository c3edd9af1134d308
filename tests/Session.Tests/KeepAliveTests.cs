using System.Diagnostics;
using System.Net.WebSockets;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Sockets;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Session.Tests;

/// <summary>
/// The WebSocket keep-alive against a socket whose frames wait. A WebSocket takes in pongs only while a receive is
/// pending, so a socket that stopped reading while its hello waited on a slow store was closed as dead by its own
/// keep-alive, although its client answered every ping: after a Session restart under load, all the sockets that came
/// back together were closed together, again and again (docs/performance.md, "Session 12"). Here the keep-alive is
/// short (a ping every 200 ms, 500 ms to answer) and an agent's hello waits 3 s at its join; frames sent meanwhile wait
/// in the socket's inbox, and those past it are refused as <c>rate_limited</c>, not read into a growing queue.
/// </summary>
public sealed class KeepAliveTests(KeepAliveTests.Fixture fixture) : IClassFixture<KeepAliveTests.Fixture>
{
    private static readonly TimeSpan HeldFor = TimeSpan.FromSeconds(3), PongPatience = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task A_socket_whose_hello_waits_longer_than_the_keep_alive_timeout_stays_open_and_answers_pings()
    {
        var (tenant, store) = (fixture.Tenant, fixture.Host.Get<ConversationStore>());
        var conversation = await store.CreateAsync(tenant, "k1", "Visitor k1", "/", "en");
        await store.MoveAsync(tenant, conversation.Id, ConversationStates.Queued);
        await store.MoveAsync(tenant, conversation.Id, ConversationStates.Assigned, Fixture.SlowAgent, Fixture.SlowAgent, "general");
        await store.AddAgentConversationAsync(tenant, Fixture.SlowAgent, conversation.Id);
        await using var agent = await fixture.Host.ConnectAsync(tenant, Fixture.SlowAgent, Roles.Agent);

        var clock = Stopwatch.StartNew();
        await agent.SendAsync(new { type = "hello" });
        await Fixture.HelloWaiting.WaitAsync(HeldFor);
        // Replies sent while the hello waits: the inbox holds Fixture.Inbox of them, the rest are refused to be sent again.
        for (int i = 0; i < 10; i++) await agent.SendAsync(new { type = "message", clientId = $"r{i}", conversationId = conversation.Id, text = $"reply {i}" });
        var welcome = await agent.NextAsync("welcome", 3 * HeldFor);
        Assert.True(clock.Elapsed >= HeldFor - TimeSpan.FromMilliseconds(100), "the hello did not wait: the test tests nothing");
        Assert.Equal(conversation.Id, (string?)welcome["conversations"]![0]!["conversationId"]);
        await agent.SendAsync(new { type = "ping" });
        await agent.NextAsync("pong");

        var refused = agent.Seen.Where(f => (string?)f["code"] == "rate_limited").ToList();
        Assert.Equal(Enumerable.Range(Fixture.Inbox, 10 - Fixture.Inbox).Select(i => $"r{i}"), refused.Select(f => (string?)f["clientId"]));
        Assert.All(refused, f => Assert.Contains($"{Fixture.Inbox} frames of this socket are waiting", (string?)f["message"]));
        Assert.All(refused, f => Assert.Equal(500, (int?)f["retryAfterMs"]));
        Assert.Equal(Enumerable.Range(0, Fixture.Inbox).Select(i => $"r{i}"),
            agent.Seen.Where(f => (string?)f["type"] == "ack").Select(f => (string?)f["clientId"]));
        Assert.DoesNotContain(fixture.Host.Logs.All, l => l.Message.Contains($"socket of {Fixture.SlowAgent} closed"));
    }

    [Fact]
    public async Task A_client_that_answers_no_ping_is_closed_as_dead_and_the_log_says_so()
    {
        // A client socket never read takes in no ping, so it sends no pong (its own keep-alive is off).
        using var silent = new ClientWebSocket();
        silent.Options.KeepAliveInterval = TimeSpan.Zero;
        TestIdentity.SetIdentity(silent.Options, fixture.Tenant, "k-silent", Roles.Visitor, "k-silent");
        await silent.ConnectAsync(new Uri($"ws://127.0.0.1:{fixture.Host.Port}/ws/customer"), CancellationToken.None);

        await Eventually.UntilAsync(() => fixture.Host.Logs.Any(l => l.Contains("socket of k-silent closed: no answer to the keep-alive within 0.5 s")),
            "the silent socket closed for its keep-alive", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50),
            () => "Session's log:\n" + string.Join("\n", fixture.Host.Logs.All.Select(l => l.Message).TakeLast(20)));
    }

    public sealed class Fixture() : SessionOnServers(new Dictionary<string, string?>
    {
        ["Session:ContextWaitAtAssignment"] = "00:00:00",
        ["Session:KeepAliveInterval"] = "00:00:00.200",
        ["Session:KeepAliveTimeout"] = PongPatience.ToString(),
        ["Session:InboxFrames"] = Inbox.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }, services => services.AddSingleton<JoinProbe>(Joins))
    {
        private static readonly SlowJoins Joins = new(SlowAgent, HeldFor);
        public static Task HelloWaiting => Joins.Waiting.Task;

        public const string SlowAgent = "k-slow";
        public const int Inbox = 4;
        public string Tenant { get; } = "keep" + Guid.NewGuid().ToString("N")[..8];
    }

    /// <summary>Every join of one user waits, as one would behind a slow store.</summary>
    private sealed class SlowJoins(string userId, TimeSpan delay) : JoinProbe
    {
        /// <summary>Set when the user's join starts waiting: its hello has left the socket's inbox.</summary>
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask BeforeJoinAsync(string tenant, string conversationId, string user)
        {
            if (user != userId) return;
            Waiting.TrySetResult();
            await Task.Delay(delay);
        }
    }
}
