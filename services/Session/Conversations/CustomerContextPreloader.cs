using System.Diagnostics.Metrics;
using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using Google.Protobuf;
using Grpc.Core;
using StackExchange.Redis;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Loads the customer's profile (CRM adapter) and recent orders (order-system adapter) at once, while the
/// conversation is routed, so the agent has them on assignment. Never on the message path: it runs beside it,
/// each call with its own deadline, and a legacy system that is down yields an explicit "unavailable".
/// </summary>
public sealed partial class CustomerContextPreloader(
    CustomerProfiles.CustomerProfilesClient crm,
    Orders.OrdersClient orders,
    IConnectionMultiplexer redis,
    ChatBus bus,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<CustomerContextPreloader> logger)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    private readonly Counter<long> _readyAtAssignment = meters.Create("CustomerService")
        .CreateCounter<long>("customer_context.at_assignment", description: "Assignments, tagged ready=true when the customer context was loaded before");

    public void Preload(Conversation conversation) => _ = Task.Run(() => LoadAsync(conversation));

    private async Task LoadAsync(Conversation conversation)
    {
        try
        {
            var deadline = time.GetUtcNow().UtcDateTime + Deadline;
            var profileCall = crm.GetProfileAsync(new GetProfileRequest { TenantId = conversation.Tenant, CustomerId = conversation.VisitorId },
                deadline: deadline).ResponseAsync;
            var ordersCall = orders.GetRecentOrdersAsync(new GetRecentOrdersRequest
            {
                TenantId = conversation.Tenant, CustomerId = conversation.VisitorId, Limit = 5,
            }, deadline: deadline).ResponseAsync;

            var context = new CustomerContext
            {
                Profile = await Answer(profileCall, e => new CustomerProfile { CustomerId = conversation.VisitorId, Availability = Availability.Unavailable, UnavailableReason = e }),
                Orders = await Answer(ordersCall, e => new RecentOrders { Availability = Availability.Unavailable, UnavailableReason = e }),
                LoadedAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            await redis.GetDatabase().StringSetAsync(RedisKeys.CustomerContext(conversation.Tenant, conversation.Id), context.ToByteArray(), Kept);
            await bus.PublishAgentSignalAsync(conversation.Tenant, conversation.Id,
                Frames.Serialize(new ContextFrame(conversation.Id, Describe(context)!)), CancellationToken.None);
        }
        catch (Exception e) when (e is RedisException or Grpc.Core.RpcException or NATS.Client.Core.NatsException)
        {
            LogPreloadFailed(conversation.Tenant, conversation.Id, e.Message);
        }
    }

    private static async Task<T> Answer<T>(Task<T> call, Func<string, T> unavailable)
    {
        try { return await call; }
        catch (RpcException e) { return unavailable(e.StatusCode == StatusCode.DeadlineExceeded ? "timed out" : e.Status.Detail); }
    }

    /// <summary>
    /// Waits until the conversation's context is stored (by this replica or another), at most <paramref name="budget"/>;
    /// true when it is there.
    /// </summary>
    public async Task<bool> WaitUntilLoadedAsync(string tenant, string conversation, TimeSpan budget, CancellationToken ct)
    {
        var key = RedisKeys.CustomerContext(tenant, conversation);
        var db = redis.GetDatabase();
        var start = time.GetTimestamp();
        while (true)
        {
            if (await db.KeyExistsAsync(key)) return true;
            if (time.GetElapsedTime(start) >= budget) return false;
            await Task.Delay(PollInterval, time, ct);
        }
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public async Task<CustomerContextFrame?> GetAsync(string tenant, string conversation, bool atAssignment)
    {
        var value = await redis.GetDatabase().StringGetAsync(RedisKeys.CustomerContext(tenant, conversation));
        if (atAssignment) _readyAtAssignment.Add(1, new KeyValuePair<string, object?>("ready", value.HasValue));
        return value.HasValue ? Describe(CustomerContext.Parser.ParseFrom((byte[])value!)) : null;
    }

    public static CustomerContextFrame? Describe(CustomerContext context) => new(
        context.Profile is null ? null : new ProfileFrame(
            Status(context.Profile.Availability), NullIfEmpty(context.Profile.UnavailableReason), NullIfEmpty(context.Profile.Name),
            NullIfEmpty(context.Profile.Phone), NullIfEmpty(context.Profile.Email), NullIfEmpty(context.Profile.Tier),
            context.Profile.Attributes.Count == 0 ? null : context.Profile.Attributes),
        context.Orders is null ? null : new OrdersFrame(
            Status(context.Orders.Availability), NullIfEmpty(context.Orders.UnavailableReason),
            context.Orders.Orders.Select(o => new OrderFrame(o.OrderId, o.Status, o.AmountCents, o.Currency, o.CreatedAtUnixMs, o.Items)).ToArray()));

    private static string Status(Availability a) => a switch
    {
        Availability.Live => "live",
        Availability.Cached => "cached",
        _ => "unavailable",
    };

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    [LoggerMessage(Level = LogLevel.Warning, Message = "customer context for {Tenant}/{Conversation} not stored: {Reason}")]
    private partial void LogPreloadFailed(string tenant, string conversation, string reason);
}
