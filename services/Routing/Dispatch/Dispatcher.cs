using CustomerService.Contracts;
using Grpc.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CustomerService.Routing.Dispatch;

/// <summary>
/// Assigns conversations to agents and keeps the queues, with all state in Redis: each operation is one Lua
/// script (<see cref="RoutingScripts"/>), so any number of replicas can serve the same tenants at once.
/// </summary>
/// <remarks>
/// Cancellation is honoured up to the moment a script is sent; a script that reached Redis runs to completion,
/// because a decision half-observed by the caller is still a decision made.
/// </remarks>
public sealed class Dispatcher(IConnectionMultiplexer redis, IOptionsMonitor<RoutingOptions> options, TimeProvider time)
{
    /// <summary>Tenants that have conversations waiting to overflow (the only key outside a tenant's hash slot).</summary>
    internal const string OverflowTenantsKey = "cs:rt:overflow-tenants";

    /// <summary>Every routing key of a tenant starts with this; the braces make it one Redis Cluster hash slot.</summary>
    public static string KeyPrefix(string tenant) => $"cs:rt:{{{tenant}}}:";

    public Task<RoutingDecision> EnqueueAsync(string tenant, string conversation, string visitor, Placement placement,
        CancellationToken cancellationToken) =>
        EnqueueAsync(tenant, conversation, visitor, placement, WaitingCustomer.Unknown, cancellationToken);

    /// <param name="customer">What the queue shows of the customer while the conversation waits.</param>
    public async Task<RoutingDecision> EnqueueAsync(string tenant, string conversation, string visitor, Placement placement,
        WaitingCustomer customer, CancellationToken cancellationToken)
    {
        if (placement.OverflowTo is { Length: > 0 })
        {
            cancellationToken.ThrowIfCancellationRequested();
            await redis.GetDatabase().SetAddAsync(OverflowTenantsKey, tenant);
        }
        var result = await RunAsync(RoutingScripts.Enqueue, tenant, cancellationToken,
            conversation, visitor, placement.SkillGroup, (int)placement.Band,
            placement.OverflowTo ?? "", (long)placement.OverflowAfter.TotalMilliseconds,
            customer.Name, customer.Language, customer.EntryPage, customer.Tier);
        return ReadDecision(result[1]);
    }

    /// <param name="capacity">The agent's capacity; 0 keeps the current one (only meaningful when not going online).</param>
    /// <param name="skillGroups">The agent's skill groups; empty keeps the current ones.</param>
    public async Task<SetPresenceReply> SetPresenceAsync(string tenant, string agent, AgentStatus status,
        IReadOnlyCollection<string> skillGroups, int capacity, CancellationToken cancellationToken)
    {
        var statusName = status switch
        {
            AgentStatus.Online => "online",
            AgentStatus.Away => "away",
            AgentStatus.Offline => "offline",
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "no presence to set"),
        };
        object[] args = [agent, statusName, capacity > 0 ? capacity : "", .. skillGroups];
        var result = await RunAsync(RoutingScripts.SetPresence, tenant, cancellationToken, args);
        var reply = new SetPresenceReply();
        reply.Requeued.AddRange(ReadDecisions(result[1]));
        reply.Assigned.AddRange(ReadDecisions(result[2]));
        return reply;
    }

    /// <summary>Transfers to <paramref name="toAgent"/> or, when that is empty, to <paramref name="toSkillGroup"/>.</summary>
    public async Task<RoutingDecision> TransferAsync(string tenant, string conversation, string fromAgent, string toAgent,
        string toSkillGroup, CancellationToken cancellationToken)
    {
        var result = await RunAsync(RoutingScripts.Transfer, tenant, cancellationToken,
            conversation, fromAgent, toAgent, toAgent.Length > 0 ? "" : toSkillGroup);
        var decision = ReadDecision(result[1]);
        decision.AssignedFromQueue.AddRange(ReadDecisions(result[2]));
        return decision;
    }

    public async Task<ReleaseReply> ReleaseAsync(string tenant, string conversation, string agent, CancellationToken cancellationToken)
    {
        var result = await RunAsync(RoutingScripts.Release, tenant, cancellationToken, conversation, agent);
        var reply = new ReleaseReply();
        reply.Assigned.AddRange(ReadDecisions(result[1]));
        return reply;
    }

    /// <summary>The current decision for a conversation: its agent, or its place in the queue.</summary>
    public async Task<RoutingDecision> FindAsync(string tenant, string conversation, CancellationToken cancellationToken)
    {
        var result = await RunAsync(RoutingScripts.Find, tenant, cancellationToken, conversation);
        return ReadDecision(result[1]);
    }

    /// <summary>
    /// The conversations waiting in <paramref name="groups"/> (null: every group of the tenant), limited to the
    /// skill groups of <paramref name="agent"/> when one is named, best first: what agents of those groups get next.
    /// </summary>
    public async Task<ListQueueReply> ListQueueAsync(string tenant, IReadOnlyCollection<string>? groups, string agent, int limit,
        CancellationToken cancellationToken)
    {
        object[] args = [limit, groups is null ? "all" : "only", agent, .. groups ?? []];
        var result = await RunAsync(RoutingScripts.ListQueue, tenant, cancellationToken, args);
        var reply = new ListQueueReply { Total = (int)result[2] };
        var entries = result[1];
        for (int i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            reply.Conversations.Add(new QueuedConversation
            {
                ConversationId = (string)e[0]!,
                SkillGroup = (string)e[1]!,
                Position = (int)e[2],
                Band = (int)e[3] switch
                {
                    (int)QueueBand.Returning => WaitingBand.Returning,
                    (int)QueueBand.Priority => WaitingBand.Priority,
                    _ => WaitingBand.Normal,
                },
                QueuedAtUnixMs = (long)e[4],
                CreatedAtUnixMs = (long)e[5],
                VisitorId = (string?)e[6] ?? "",
                CustomerName = (string?)e[7] ?? "",
                Language = (string?)e[8] ?? "",
                EntryPage = (string?)e[9] ?? "",
                CustomerTier = (string?)e[10] ?? "",
            });
        }
        return reply;
    }

    /// <summary>Each agent's status (Offline when it never set one) and whether it would take another conversation now.</summary>
    public async Task<IReadOnlyList<(AgentStatus Status, bool Accepting)>> PresenceAsync(string tenant, IReadOnlyList<string> agents,
        CancellationToken cancellationToken)
    {
        if (agents.Count == 0) return [];
        var result = await RunAsync(RoutingScripts.Presence, tenant, cancellationToken, [.. agents]);
        var list = new List<(AgentStatus, bool)>(agents.Count);
        for (int i = 0; i < result[1].Length; i++)
        {
            var status = (string?)result[1][i][0] switch
            {
                "online" => AgentStatus.Online,
                "away" => AgentStatus.Away,
                _ => AgentStatus.Offline,
            };
            list.Add((status, (int)result[1][i][1] == 1));
        }
        return list;
    }

    /// <summary>The skill groups Routing routes <paramref name="agent"/> by (those of its last presence); empty when it never set one.</summary>
    public async Task<IReadOnlyList<string>> AgentGroupsAsync(string tenant, string agent, CancellationToken cancellationToken)
    {
        var result = await RunAsync(RoutingScripts.AgentGroups, tenant, cancellationToken, agent);
        var groups = new List<string>(result[1].Length);
        for (int i = 0; i < result[1].Length; i++) groups.Add((string)result[1][i]!);
        return groups;
    }

    public async Task<IReadOnlyList<string>> TenantsWithOverflowAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var members = await redis.GetDatabase().SetMembersAsync(OverflowTenantsKey);
        return [.. members.Select(m => m.ToString())];
    }

    /// <summary>Moves up to <paramref name="limit"/> conversations whose overflow wait is over to their overflow group.</summary>
    public async Task<IReadOnlyList<RoutingDecision>> OverflowAsync(string tenant, int limit, CancellationToken cancellationToken)
    {
        var result = await RunAsync(RoutingScripts.Overflow, tenant, cancellationToken, limit);
        return ReadDecisions(result[1]);
    }

    private async Task<RedisResult> RunAsync(string script, string tenant, CancellationToken cancellationToken, params object[] args)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var prefix = KeyPrefix(tenant);
        var values = new RedisValue[3 + args.Length];
        values[0] = prefix;
        values[1] = time.GetUtcNow().ToUnixTimeMilliseconds();
        values[2] = (long)options.CurrentValue.StickyFor.TotalMilliseconds;
        for (int i = 0; i < args.Length; i++)
            values[3 + i] = args[i] switch
            {
                string s => s,
                int n => n,
                long n => n,
                _ => throw new ArgumentException($"unsupported script argument {args[i]}"),
            };
        // The key names the tenant's slot so a cluster-aware client sends the script to the node that owns it.
        var result = await redis.GetDatabase().ScriptEvaluateAsync(script, [prefix + "queue-seq"], values);
        var outcome = (string?)result[0];
        return outcome switch
        {
            "ok" => result,
            "not_found" => throw new RoutingRefusal(StatusCode.NotFound, (string)result[1]!),
            "failed_precondition" => throw new RoutingRefusal(StatusCode.FailedPrecondition, (string)result[1]!),
            _ => throw new InvalidOperationException($"routing script answered '{outcome}'"),
        };
    }

    private static RoutingDecision ReadDecision(RedisResult r) => new()
    {
        ConversationId = (string)r[0]!,
        Assigned = (int)r[1] == 1,
        AgentId = (string?)r[2] ?? "",
        SkillGroup = (string?)r[3] ?? "",
        QueuePosition = (int)r[4],
    };

    private static List<RoutingDecision> ReadDecisions(RedisResult r)
    {
        var list = new List<RoutingDecision>(r.Length);
        for (int i = 0; i < r.Length; i++) list.Add(ReadDecision(r[i]));
        return list;
    }
}
