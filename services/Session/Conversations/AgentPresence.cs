using CustomerService.Contracts;
using CustomerService.Session.Sockets;
using Grpc.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Agents' presence as their consoles say it. Sockets are counted across replicas in Redis, so an agent whose
/// last socket anywhere has been gone for the grace period is set offline (and their conversations re-queued),
/// while a reload or a second tab changes nothing.
/// </summary>
public sealed partial class AgentPresence(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<AgentPresence> logger)
{
    private static RedisKey SocketsKey(Identity agent) => $"cs:{agent.Tenant}:agent:{agent.UserId}:sockets";

    public static AgentStatus? Parse(string? status) => status?.ToLowerInvariant() switch
    {
        "online" => AgentStatus.Online,
        "away" => AgentStatus.Away,
        "offline" => AgentStatus.Offline,
        _ => null,
    };

    public async Task ConnectedAsync(Identity agent) => await redis.GetDatabase().StringIncrementAsync(SocketsKey(agent));

    public async Task DisconnectedAsync(Identity agent, bool lastOnThisReplica)
    {
        var remaining = await redis.GetDatabase().StringDecrementAsync(SocketsKey(agent));
        if (!lastOnThisReplica || remaining > 0) return;
        _ = Task.Run(async () =>
        {
            await Task.Delay(options.Value.OfflineGrace, time);
            var sockets = (long?)await redis.GetDatabase().StringGetAsync(SocketsKey(agent)) ?? 0;
            if (sockets > 0) return;
            try
            {
                await SetAsync(agent, AgentStatus.Offline, CancellationToken.None);
                LogWentOffline(agent.Tenant, agent.UserId);
            }
            catch (RpcException e)
            {
                LogPresenceFailed(agent.UserId, e.StatusCode);
            }
        });
    }

    public async Task SetAsync(Identity agent, AgentStatus status, CancellationToken ct)
    {
        var skills = agent.SkillGroups.Count > 0 ? agent.SkillGroups : options.Value.DefaultSkillGroups;
        using var scope = scopes.CreateScope();
        var conversations = scope.ServiceProvider.GetRequiredService<ConversationService>();
        await conversations.SetPresenceAsync(agent, status, skills, options.Value.DefaultCapacity, ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "agent {Tenant}/{Agent} has no socket left: offline")]
    private partial void LogWentOffline(string tenant, string agent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "presence of {Agent} could not reach Routing ({Status})")]
    private partial void LogPresenceFailed(string agent, StatusCode status);
}
