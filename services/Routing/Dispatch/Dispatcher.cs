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

    public async Task<RoutingDecision> EnqueueAsync(string tenant, string conversation, string visitor, Placement placement,
        CancellationToken cancellationToken)
    {
        if (placement.OverflowTo is { Length: > 0 })
        {
            cancellationToken.ThrowIfCancellationRequested();
            await redis.GetDatabase().SetAddAsync(OverflowTenantsKey, tenant);
        }
        var result = await RunAsync(RoutingScripts.Enqueue, tenant, cancellationToken,
            conversation, visitor, placement.SkillGroup, (int)placement.Band,
            placement.OverflowTo ?? "", (long)placement.OverflowAfter.TotalMilliseconds);
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
