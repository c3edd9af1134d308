using CustomerService.Contracts;
using CustomerService.Routing.Desk;
using CustomerService.Routing.Dispatch;
using CustomerService.Routing.Rules;
using Grpc.Core;
using Microsoft.Extensions.Options;
using RoutingContract = CustomerService.Contracts.Routing;

namespace CustomerService.Routing.Grpc;

/// <summary>The Routing gRPC API (routing.proto): checks each request, then lets the <see cref="Dispatcher"/> decide.</summary>
public sealed class RoutingService(Dispatcher dispatcher, PlacementPolicy placement, AgentProfiles agents, AgentRoster roster,
    IOptionsMonitor<RoutingOptions> options,
    ILogger<RoutingService> logger) : RoutingContract.RoutingBase
{
    public override Task<RoutingDecision> Enqueue(EnqueueRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        RequireId("conversation_id", request.ConversationId);
        OptionalId("visitor_id", request.VisitorId);
        OptionalId("skill_group", request.SkillGroup);
        var where = placement.Decide(request);
        var customer = new WaitingCustomer(Clip(request.CustomerName, 100), Clip(request.Language, 35), Clip(request.EntryPage, 2048),
            Clip(request.CustomerTier, 64));
        var decision = await dispatcher.EnqueueAsync(request.TenantId, request.ConversationId, request.VisitorId, where, customer,
            context.CancellationToken);
        Log.Decided(logger, request.TenantId, decision.ConversationId, decision.SkillGroup, decision.AgentId, decision.QueuePosition);
        return decision;
    });

    public override Task<SetPresenceReply> SetPresence(SetPresenceRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        RequireId("agent_id", request.AgentId);
        if (request.Status is not (AgentStatus.Online or AgentStatus.Away or AgentStatus.Offline))
            throw Invalid($"status must be online, away or offline, not {request.Status}");
        var max = options.CurrentValue.MaxCapacity;
        if (request.Status == AgentStatus.Online && request.Capacity < 1)
            throw Invalid("capacity must be at least 1 for an agent going online");
        if (request.Capacity < 0 || request.Capacity > max)
            throw Invalid($"capacity must be between 0 and {max}, not {request.Capacity}");
        if (request.Status == AgentStatus.Online && request.SkillGroups.Count == 0)
            throw Invalid("skill_groups must name at least one group for an agent going online");
        foreach (var group in request.SkillGroups) RequireId("skill_groups", group);

        // The agent's configured skill groups and capacity (Admin's agent directory) take the place of the request's.
        var profile = agents.Resolve(request.TenantId, request.AgentId, request.SkillGroups, request.Capacity);
        if (request.Status == AgentStatus.Online && profile.Refusal is { } refusal)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, refusal));
        var groups = profile.SkillGroups.Where(g => RoutingId.IsValid(g)).Distinct(StringComparer.Ordinal).ToList();
        var capacity = Math.Clamp(profile.Capacity, request.Status == AgentStatus.Online ? 1 : 0, max);
        if (!groups.SequenceEqual(request.SkillGroups.Distinct(StringComparer.Ordinal)) || capacity != request.Capacity)
            Log.ConfiguredProfile(logger, request.TenantId, request.AgentId, string.Join(",", groups), capacity);

        var reply = await dispatcher.SetPresenceAsync(request.TenantId, request.AgentId, request.Status,
            groups, capacity, context.CancellationToken);
        Log.PresenceSet(logger, request.TenantId, request.AgentId, request.Status, reply.Assigned.Count, reply.Requeued.Count);
        return reply;
    });

    public override Task<RoutingDecision> Transfer(TransferRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        RequireId("conversation_id", request.ConversationId);
        OptionalId("from_agent_id", request.FromAgentId);
        OptionalId("to_agent_id", request.ToAgentId);
        OptionalId("to_skill_group", request.ToSkillGroup);
        if ((request.ToAgentId.Length > 0) == (request.ToSkillGroup.Length > 0))
            throw Invalid("give exactly one of to_agent_id and to_skill_group");
        var decision = await dispatcher.TransferAsync(request.TenantId, request.ConversationId, request.FromAgentId,
            request.ToAgentId, request.ToSkillGroup, context.CancellationToken);
        Log.Transferred(logger, request.TenantId, request.ConversationId, decision.SkillGroup, decision.AgentId, decision.QueuePosition);
        return decision;
    });

    public override Task<ReleaseReply> Release(ReleaseRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        RequireId("conversation_id", request.ConversationId);
        OptionalId("agent_id", request.AgentId);
        var reply = await dispatcher.ReleaseAsync(request.TenantId, request.ConversationId, request.AgentId, context.CancellationToken);
        Log.Released(logger, request.TenantId, request.ConversationId, reply.Assigned.Count);
        return reply;
    });

    public override Task<QueuePositionReply> GetQueuePosition(QueuePositionRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        RequireId("conversation_id", request.ConversationId);
        try
        {
            var decision = await dispatcher.FindAsync(request.TenantId, request.ConversationId, context.CancellationToken);
            return new QueuePositionReply { Position = decision.QueuePosition };
        }
        catch (RoutingRefusal refusal) when (refusal.Status == StatusCode.NotFound)
        {
            // The contract says 0 when not queued: a caller that sees 0 for a conversation it believes waiting
            // enqueues it again (Routing may have been down when it started; Enqueue is idempotent).
            return new QueuePositionReply();
        }
    });

    public override Task<ListQueueReply> ListQueue(ListQueueRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        OptionalId("agent_id", request.AgentId);
        foreach (var group in request.SkillGroups) RequireId("skill_groups", group);
        if (request.Limit is < 0 or > DeskApi.MaxLimit) throw Invalid($"limit must be between 0 and {DeskApi.MaxLimit}, not {request.Limit}");
        var groups = request.SkillGroups.Count > 0 ? request.SkillGroups.Distinct(StringComparer.Ordinal).ToList() : null;
        return await dispatcher.ListQueueAsync(request.TenantId, groups, request.AgentId,
            request.Limit == 0 ? DeskApi.DefaultLimit : request.Limit, context.CancellationToken);
    });

    public override Task<ListAgentsReply> ListAgents(ListAgentsRequest request, ServerCallContext context) => Answer(async () =>
    {
        RequireId("tenant_id", request.TenantId);
        return await roster.ListAsync(request.TenantId, context.CancellationToken);
    });

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];

    private static async Task<T> Answer<T>(Func<Task<T>> handle)
    {
        try
        {
            return await handle();
        }
        catch (RoutingRefusal refusal)
        {
            throw new RpcException(new Status(refusal.Status, refusal.Message));
        }
    }

    private static void RequireId(string field, string value)
    {
        if (RoutingId.Problem(field, value) is { } problem) throw Invalid(problem);
    }

    private static void OptionalId(string field, string value)
    {
        if (value.Length > 0) RequireId(field, value);
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
