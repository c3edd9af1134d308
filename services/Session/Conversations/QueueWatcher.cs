using System.Collections.Concurrent;
using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Keeps waiting customers on this replica told of their queue position, and asks Routing again for
/// conversations it has not taken (Routing was down when they started).
/// </summary>
public sealed partial class QueueWatcher(
    IServiceScopeFactory scopes,
    ConnectionRegistry registry,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<QueueWatcher> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<(string Tenant, string Conversation), int> _waiting = new();

    public void Watch(string tenant, string conversation, int position) => _waiting[(tenant, conversation)] = position;

    public void Forget(string tenant, string conversation) => _waiting.TryRemove((tenant, conversation), out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.QueueRefresh, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (_waiting.IsEmpty) continue;
            using var scope = scopes.CreateScope();
            var routing = scope.ServiceProvider.GetRequiredService<Routing.RoutingClient>();
            var store = scope.ServiceProvider.GetRequiredService<ConversationStore>();
            var conversations = scope.ServiceProvider.GetRequiredService<ConversationService>();
            foreach (var ((tenant, id), known) in _waiting)
            {
                if (!registry.ForConversation(tenant, id).Any()) { Forget(tenant, id); continue; }
                try
                {
                    var reply = await routing.GetQueuePositionAsync(new QueuePositionRequest { TenantId = tenant, ConversationId = id },
                        deadline: time.GetUtcNow().UtcDateTime.AddSeconds(2), cancellationToken: stoppingToken);
                    if (reply.Position == 0)
                    {
                        var conversation = await store.GetAsync(tenant, id);
                        if (conversation?.State == ConversationStates.Queued) await conversations.EnqueueAsync(conversation, null, stoppingToken);
                        else Forget(tenant, id);
                    }
                    else if (reply.Position != known)
                    {
                        _waiting[(tenant, id)] = reply.Position;
                        registry.Broadcast(tenant, id, Frames.Serialize(new QueueFrame(id, reply.Position)));
                    }
                }
                catch (RpcException e)
                {
                    LogRoutingUnavailable(e.StatusCode);
                    break;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "queue positions: routing unavailable ({Status})")]
    private partial void LogRoutingUnavailable(StatusCode status);
}
