using System.Runtime.InteropServices;
using System.Text;

namespace CustomerService.AppHost.Infrastructure;

/// <summary>One NATS user: what it may publish and subscribe to, and why it exists.</summary>
/// <param name="Name">The user name, also its inbox prefix (<c>_INBOX.{Name}</c>, set by ServiceDefaults' AddNats from the URL).</param>
public sealed record NatsUser(string Name, string Purpose, IReadOnlyList<string> Publish, IReadOnlyList<string> Subscribe,
    IReadOnlyList<string>? DenyPublish = null, IReadOnlyList<string>? DenySubscribe = null)
{
    /// <summary>Where the server sends this user's request replies (JetStream API answers, pull-consumer batches).</summary>
    public string Inbox => $"_INBOX.{Name}.>";

    /// <summary>The variable a container's NATS configuration reads this user's password from.</summary>
    public string PasswordVariable => $"CS_NATS_PASSWORD_{Name.ToUpperInvariant()}";
}

/// <summary>
/// The platform's NATS users: one per process that connects, each allowed only the subjects it uses
/// (docs/security.md#nats-users has the table and the reasons). A connection without a user is refused. The subjects
/// are those of services/Contracts/Subjects.cs, the streams and durable consumers those of ChatStreams, TicketStream,
/// HistoryWriter (history-messages, history-events), Webhooks (webhooks) and the ticket consumers (orders-tickets,
/// session-ticket-results). JetStream is reached through its API subjects (<c>$JS.API.…</c>, answered to the user's
/// own inbox) and acknowledged through <c>$JS.ACK.{stream}.{consumer}.…</c>; each user gets the API subjects of its
/// own streams and consumers only.
/// </summary>
public static class NatsUsers
{
    private const string Messages = "CHAT_MESSAGES", Events = "CONVERSATION_EVENTS", Tickets = "TICKETS";

    /// <summary>Create (first start) and update (limits brought to the code's) of a stream, as ChatStreams.EnsureAsync does.</summary>
    private static IEnumerable<string> EnsureStream(string stream) =>
        [$"$JS.API.STREAM.CREATE.{stream}", $"$JS.API.STREAM.UPDATE.{stream}"];

    /// <summary>A durable pull consumer created (or updated) by name, with an optional filter subject, read and acknowledged.</summary>
    private static IEnumerable<string> DurableConsumer(string stream, string consumer, string? filter = null) =>
    [
        $"$JS.API.CONSUMER.CREATE.{stream}.{consumer}" + (filter is null ? "" : "." + filter),
        $"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}",
        $"$JS.ACK.{stream}.{consumer}.>",
    ];

    /// <summary>Every API call on another service's durable consumer: Session's snapshot reads name their consumers freely.</summary>
    private static IEnumerable<string> OthersConsumer(string stream, string consumer) =>
    [
        $"$JS.API.CONSUMER.*.{stream}.{consumer}",
        $"$JS.API.CONSUMER.*.{stream}.{consumer}.>",
        $"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}",
    ];

    private static readonly string[] Nothing = [];

    public static readonly IReadOnlyList<NatsUser> All =
    [
        new("session", "Session: numbers, stores and fans out every message and event; answers the bot's commands",
            Publish:
            [
                "cs.msg.*.*", "cs.conv.*.*.*",                     // JetStream publishes of messages and events
                "cs.deliver.*.*", "cs.agents.*.*",                  // signals to every replica
                "cs.bot.inbox.*", "cs.risk.*.sensitive_word",
                "cs.ticket.*.requested",
                "_INBOX.bot.>",                                     // replies to the bot's cs.session.post / handoff
                .. EnsureStream(Messages), .. EnsureStream(Events), .. EnsureStream(Tickets),
                $"$JS.API.STREAM.INFO.{Messages}", $"$JS.API.STREAM.MSG.GET.{Messages}", // StoredSequences
                // Snapshot reads: a short-lived consumer per read, filtered on one conversation, no acks, then deleted.
                $"$JS.API.CONSUMER.CREATE.{Messages}.*.cs.msg.*.*", $"$JS.API.CONSUMER.MSG.NEXT.{Messages}.*",
                $"$JS.API.CONSUMER.DELETE.{Messages}.*",
                .. DurableConsumer(Tickets, "session-ticket-results", "cs.ticket.*.result"),
            ],
            Subscribe: ["cs.msg.>", "cs.conv.>", "cs.deliver.>", "cs.agents.>", "cs.session.post", "cs.session.handoff"],
            DenyPublish: [.. OthersConsumer(Messages, "history-messages"), .. OthersConsumer(Messages, "webhooks")]),

        new("bot", "Bot: reads the inbox of bot-handled conversations, posts and hands off through Session",
            Publish: ["cs.session.post", "cs.session.handoff"],
            Subscribe: ["cs.bot.inbox.*"]),

        new("historywriter", "HistoryWriter: archives both chat streams through its durable consumers, watches their backlog",
            Publish:
            [
                .. EnsureStream(Messages), .. EnsureStream(Events),
                $"$JS.API.STREAM.INFO.{Messages}", $"$JS.API.STREAM.INFO.{Events}",
                $"$JS.API.STREAM.MSG.GET.{Messages}", $"$JS.API.STREAM.MSG.GET.{Events}",
                .. DurableConsumer(Messages, "history-messages"), .. DurableConsumer(Events, "history-events"),
                $"$JS.API.CONSUMER.INFO.{Messages}.history-messages", $"$JS.API.CONSUMER.INFO.{Events}.history-events",
            ],
            Subscribe: Nothing),

        new("webhooks", "Webhooks: turns both chat streams into tenants' webhook deliveries through its durable consumers",
            Publish:
            [
                .. EnsureStream(Messages), .. EnsureStream(Events),
                .. DurableConsumer(Messages, "webhooks"), .. DurableConsumer(Events, "webhooks"),
            ],
            Subscribe: Nothing),

        new("orders", "Orders adapter: reads ticket requests, publishes their results",
            Publish: ["cs.ticket.*.result", .. EnsureStream(Tickets), .. DurableConsumer(Tickets, "orders-tickets", "cs.ticket.*.requested")],
            Subscribe: Nothing),

        new("admin", "Admin: connects for its health check only (configuration reaches services over gRPC)", Nothing, Nothing),
        new("crm", "CRM adapter: connects for its health check only", Nothing, Nothing),

        new("observer", "Other systems (risk control, BI) and the Integration tests: reads the live events, publishes nothing",
            Publish: Nothing,
            Subscribe: ["cs.msg.>", "cs.conv.>", "cs.risk.>", "cs.ticket.>"]),
    ];

    public static NatsUser Named(string name) => All.SingleOrDefault(u => u.Name == name)
        ?? throw new ArgumentException($"no NATS user '{name}' (AppHost/Infrastructure/NatsUsers.cs)", nameof(name));

    /// <summary>
    /// The nats-server <c>authorization</c> block. <paramref name="password"/> gives each user's password as it is to
    /// stand in the file: a quoted bcrypt hash (local runs) or a variable the server reads from its environment
    /// (containers).
    /// </summary>
    public static string Authorization(Func<NatsUser, string> password)
    {
        var conf = new StringBuilder();
        conf.AppendLine("# Generated by the AppHost from AppHost/Infrastructure/NatsUsers.cs: one user per service, least privilege.");
        conf.AppendLine("authorization {");
        conf.AppendLine("  users = [");
        foreach (var user in All)
        {
            conf.AppendLine($"    {{ user: \"{user.Name}\", password: {password(user)}, permissions: {{");
            conf.AppendLine($"        publish: {{ {Rules(user.Publish, user.DenyPublish)} }}");
            conf.AppendLine($"        subscribe: {{ {Rules([.. user.Subscribe, user.Inbox], user.DenySubscribe)} }}");
            conf.AppendLine("    } }");
        }
        conf.AppendLine("  ]");
        conf.AppendLine("}");
        return conf.ToString();
    }

    private static string Rules(IReadOnlyList<string> allow, IReadOnlyList<string>? deny)
    {
        // An empty allow list means "everything" to nats-server: a user that may publish nothing is denied ">".
        var rules = allow.Count == 0 ? $"deny: {List([">"])}" : $"allow: {List(allow)}";
        if (allow.Count > 0 && deny is { Count: > 0 }) rules += $", deny: {List(deny)}";
        return rules;
    }

    private static string List(IEnumerable<string> subjects) => "[" + string.Join(", ", subjects.Select(s => $"\"{s}\"")) + "]";

    /// <summary>
    /// A bcrypt hash of <paramref name="password"/> (nats-server compares a password against a "$2…" value with bcrypt),
    /// made by the system's libcrypt (libxcrypt, in every Debian), or null where there is none.
    /// </summary>
    public static string? Bcrypt(string password)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            lock (CryptLock)
            {
                var setting = Marshal.PtrToStringAnsi(crypt_gensalt("$2b$", BcryptCost, IntPtr.Zero, 0));
                if (setting is null) return null;
                var hash = Marshal.PtrToStringAnsi(crypt(password, setting));
                return hash is { Length: > 0 } && hash.StartsWith("$2b$", StringComparison.Ordinal) ? hash : null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>2^10 rounds: ~60 ms per connect on this machine, paid by the server once per connection.</summary>
    public const int BcryptCost = 10;

    private static readonly object CryptLock = new();

    [DllImport("libcrypt.so.1", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern IntPtr crypt_gensalt(string prefix, ulong count, IntPtr rbytes, int nrbytes);

    [DllImport("libcrypt.so.1", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern IntPtr crypt(string phrase, string setting);
}
