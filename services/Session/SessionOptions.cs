namespace CustomerService.Session;

public sealed class SessionOptions
{
    /// <summary>Largest frame a client may send; larger ones get an error frame and are dropped.</summary>
    public int MaxFrameBytes { get; set; } = 16 * 1024;

    /// <summary>Frames queued for one socket before it counts as too slow and is closed.</summary>
    public int OutboxFrames { get; set; } = 1024;

    /// <summary>
    /// Frames per second a customer's socket may send, sustained and in a burst (<see cref="Sockets.FrameBudget"/>);
    /// past it a frame gets a <c>rate_limited</c> error with a retry hint and the socket lives. Far above what a person
    /// types, and above the peak load profile's 12 messages a second per customer.
    /// </summary>
    public double CustomerFramesPerSecond { get; set; } = 20;
    public double CustomerFrameBurst { get; set; } = 40;

    /// <summary>The same for agents, supervisors and admins (an agent answers many conversations at once).</summary>
    public double StaffFramesPerSecond { get; set; } = 50;
    public double StaffFrameBurst { get; set; } = 100;

    /// <summary>
    /// Frames read from one socket and waiting to be handled (a hello or a message held up by a slow store); one more is
    /// refused as <c>rate_limited</c>. The socket goes on being read meanwhile (<see cref="KeepAliveTimeout"/>).
    /// </summary>
    public int InboxFrames { get; set; } = 128;

    /// <summary>
    /// Interval of WebSocket pings (each socket's drawn within ±20% of it, so sockets opened together after a restart do
    /// not ping together), and how long a ping may go unanswered before the socket is closed as dead.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A returning visitor sees this many of their latest conversations again.</summary>
    public int ConversationsOnReturn { get; set; } = 3;

    /// <summary>An agent whose last socket closed is set offline after this grace (a reload is not a logout).</summary>
    public TimeSpan OfflineGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Default skill groups and capacity of an agent whose token names none.</summary>
    public string[] DefaultSkillGroups { get; set; } = ["general"];
    public int DefaultCapacity { get; set; } = 5;

    /// <summary>
    /// How long a message or event may wait for JetStream to store it before the sender is told "unavailable" (and
    /// resends: the same id is stored once). NATS being away must not hang a socket.
    /// </summary>
    public TimeSpan DurablePublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the agent's side of an assignment may wait for the customer context (CRM profile and recent orders,
    /// loaded since the conversation started) so that the agent gets the conversation with it. The customer is not
    /// held: their messages are stored and shown to the agent with the conversation. Zero: never wait.
    /// </summary>
    public TimeSpan ContextWaitAtAssignment { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a joining socket's snapshot waits for the messages numbered before it to settle in Redis (their posters
    /// add them after JetStream's ack) before it reads those still missing from JetStream. It only waits when a number
    /// is missing: a message on its way, or a post that never published (its number stays unsettled for good).
    /// </summary>
    public TimeSpan SnapshotSettleWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often waiting customers' queue positions are refreshed.</summary>
    public TimeSpan QueueRefresh { get; set; } = TimeSpan.FromSeconds(2);
}
