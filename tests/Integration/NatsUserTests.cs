using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using CustomerService.AppHost.Infrastructure;
using NATS.Client.Core;
using CustomerService.TestInfrastructure;
using static CustomerService.Integration.NatsProbe;

namespace CustomerService.Integration;

/// <summary>
/// The platform's NATS as the AppHost starts it (eng/run-nats.sh, users from AppHost/Infrastructure/NatsUsers.cs):
/// no connection without a user, every service as its own user, and each user refused what it does not need.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class NatsUserTests(PlatformFixture platform)
{
    private async Task<int> PortAsync() => new Uri((await platform.App.GetConnectionStringAsync("nats"))!).Port;

    private static string Messages(Exception? e) => e is null ? "" : $"{e.GetType().Name}: {e.Message} | {Messages(e.InnerException)}";

    [Fact]
    public async Task NATS_refuses_a_connection_without_credentials_and_one_with_a_wrong_password()
    {
        int port = await PortAsync();
        Assert.Equal(["-ERR 'Authorization Violation'"], await ErrorsAsync(port, null, null));
        Assert.Equal(["-ERR 'Authorization Violation'"], await ErrorsAsync(port, "session", "guessed"));
        Assert.Equal(["-ERR 'Authorization Violation'"], await ErrorsAsync(port, "nobody", platform.NatsPassword("session")));
        Assert.Empty(await ErrorsAsync(port, "session", platform.NatsPassword("session")));

        // And so does the client library the services use: the connection string without a user connects nowhere.
        await using var anonymous = new NatsConnection(
            new NatsOpts { Url = (await platform.App.GetConnectionStringAsync("nats"))!, ConnectTimeout = TimeSpan.FromSeconds(3) });
        var refused = await Assert.ThrowsAnyAsync<NatsException>(async () => await anonymous.ConnectAsync());
        // Refused by the server, not merely unable to connect.
        Assert.Contains("Authorization Violation", Messages(refused), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_service_is_connected_as_its_own_user_and_nothing_connects_without_one()
    {
        using var monitor = new HttpClient { BaseAddress = platform.App.GetEndpoint("nats", "monitor") };
        string[] expected = ["admin", "bot", "crm", "historywriter", "orders", "session", "webhooks"];
        JsonArray connections = [];
        await Eventually.UntilAsync(async () =>
        {
            var connz = await monitor.GetFromJsonAsync<JsonObject>("/connz?auth=true&limit=1000");
            connections = connz!["connections"]!.AsArray();
            return expected.All(u => connections.Any(c => (string?)c!["authorized_user"] == u));
        }, "every service connected as its user", TimeSpan.FromSeconds(30), context: () => connections.ToJsonString());

        var services = connections.Where(c => (string?)c!["name"] != "nats-probe").ToList(); // NatsProbe's, from other tests
        foreach (var c in connections)
        {
            var user = (string?)c!["authorized_user"];
            Assert.False(string.IsNullOrEmpty(user), $"a connection without a user: {c.ToJsonString()}");
        }
        foreach (var c in services.Where(c => expected.Contains((string?)c!["authorized_user"])))
        {
            // The service's name (ServiceDefaults names the connection after the application, and NATS.Net's
            // connection pool, which AddNatsClient uses, appends "#{index}": "HistoryWriter#0") matches its user.
            var user = (string)c!["authorized_user"]!;
            Assert.Matches($"^{user}(#[0-9]+)?$", ((string?)c["name"] ?? "").ToLowerInvariant());
        }
        // Session runs two replicas here, each its own connection as "session".
        Assert.Equal(2, services.Count(c => (string?)c!["authorized_user"] == "session"));
    }

    public static TheoryData<string, Operation[]> Refusals => new()
    {
        // Webhooks reads the streams through its own consumers: it may not post as the bot, read the bot's inbox or
        // its replies, read live messages, publish into the streams, or touch another service's consumer.
        { "webhooks", [new Pub("cs.session.post"), new Sub("cs.bot.inbox.*"), new Sub("_INBOX.bot.>"), new Sub("_INBOX.>"),
            new Sub("cs.msg.>"), new Pub("cs.msg.t1.c1"), new Pub("cs.conv.t1.c1.ended"), new Pub("$JS.API.STREAM.DELETE.CHAT_MESSAGES"),
            new Pub("$JS.API.STREAM.PURGE.CHAT_MESSAGES"), new Pub("$JS.API.CONSUMER.MSG.NEXT.CHAT_MESSAGES.history-messages"),
            new Pub("$JS.API.CONSUMER.DELETE.CHAT_MESSAGES.history-messages"), new Pub("cs.ticket.t1.result")] },
        // The bot posts only through Session, which checks the conversation: never straight into the stream.
        { "bot", [new Pub("cs.msg.t1.c1"), new Pub("cs.deliver.t1.c1"), new Sub("cs.msg.>"), new Sub("cs.session.post"),
            new Pub("$JS.API.STREAM.INFO.CHAT_MESSAGES"), new Sub("_INBOX.session.>"), new Pub("_INBOX.session.x")] },
        // Session owns the message path, not the archive's or the webhooks' consumers, nor the order system's answers.
        { "session", [new Pub("$JS.API.STREAM.DELETE.CHAT_MESSAGES"), new Pub("$JS.API.STREAM.PURGE.CHAT_MESSAGES"),
            new Pub("$JS.API.CONSUMER.DELETE.CHAT_MESSAGES.history-messages"), new Pub("$JS.API.CONSUMER.MSG.NEXT.CHAT_MESSAGES.webhooks"),
            new Pub("$JS.API.CONSUMER.CREATE.CHAT_MESSAGES.history-messages.cs.msg.t1.c1"),
            new Pub("$JS.ACK.CHAT_MESSAGES.history-messages.1.1.1.1.1"),
            new Pub("cs.ticket.t1.result"), new Pub("cs.session.post"), new Sub("cs.bot.inbox.*"), new Sub("_INBOX.bot.>")] },
        // HistoryWriter reads and archives: it publishes nothing into the streams and cannot delete or purge them.
        { "historywriter", [new Pub("cs.msg.t1.c1"), new Sub("cs.msg.>"), new Pub("$JS.API.STREAM.DELETE.CHAT_MESSAGES"),
            new Pub("$JS.API.STREAM.PURGE.CONVERSATION_EVENTS"), new Pub("$JS.API.CONSUMER.CREATE.CHAT_MESSAGES.webhooks"),
            new Pub("$JS.API.CONSUMER.MSG.NEXT.CHAT_MESSAGES.webhooks"), new Pub("cs.session.post")] },
        // The Orders adapter answers tickets: it cannot request them, nor read or write chat.
        { "orders", [new Pub("cs.ticket.t1.requested"), new Pub("cs.msg.t1.c1"), new Sub("cs.msg.>"), new Sub("cs.ticket.>"),
            new Pub("$JS.API.STREAM.UPDATE.CHAT_MESSAGES"), new Pub("$JS.API.CONSUMER.MSG.NEXT.TICKETS.session-ticket-results")] },
        // Connected for their health checks only.
        { "admin", [new Pub("cs.msg.t1.c1"), new Pub("cs.session.post"), new Sub(">"), new Sub("cs.msg.>")] },
        { "crm", [new Pub("cs.msg.t1.c1"), new Sub("cs.conv.>"), new Pub("$JS.API.INFO")] },
        // Other systems read the live events and publish nothing.
        { "observer", [new Pub("cs.msg.t1.c1"), new Pub("cs.session.post"), new Pub("$JS.API.STREAM.PURGE.CHAT_MESSAGES"),
            new Sub("cs.session.post"), new Sub("cs.bot.inbox.*"), new Sub("_INBOX.>"), new Sub("_INBOX.session.>")] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_user_is_refused_what_its_service_does_not_need(string user, Operation[] refused)
    {
        var errors = await ErrorsAsync(await PortAsync(), user, platform.NatsPassword(user), refused);
        Assert.Equal(refused.Select(Violation), errors);
    }

    [Fact]
    public void Every_user_is_in_the_refusal_table()
    {
        Assert.Equal(NatsUsers.All.Select(u => u.Name).Order(), Refusals.Select(r => (string)r[0]).Order());
    }

    [Fact]
    public async Task Each_user_may_subscribe_to_what_its_table_allows_and_to_its_own_inbox_only()
    {
        int port = await PortAsync();
        foreach (var user in NatsUsers.All)
        {
            Operation[] allowed = [.. user.Subscribe.Select(s => new Sub(s)), new Sub($"_INBOX.{user.Name}.anything")];
            Assert.Empty(await ErrorsAsync(port, user.Name, platform.NatsPassword(user.Name), allowed));
            var others = NatsUsers.All.Where(u => u != user).Select(u => new Sub($"_INBOX.{u.Name}.anything")).ToArray<Operation>();
            Assert.Equal(others.Select(Violation), await ErrorsAsync(port, user.Name, platform.NatsPassword(user.Name), others));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_server_configuration_holds_bcrypt_hashes_not_the_passwords_and_only_its_owner_reads_them()
    {
        var conf = Path.Combine(platform.DataDirectory, "nats", "nats-server.conf");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(conf));
        var text = File.ReadAllText(conf);
        foreach (var user in NatsUsers.All)
        {
            var passwordFile = Path.Combine(platform.DataDirectory, $"nats-{user.Name}.password");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
            Assert.DoesNotContain(platform.NatsPassword(user.Name), text);
            Assert.Matches($"user: \"{user.Name}\", password: \"\\$2b\\$10\\$", text);
        }
    }
}
