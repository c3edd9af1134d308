using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;
using Grpc.Core;
using StackExchange.Redis;

namespace CustomerService.Session.Conversations;

/// <summary>
/// The conversation use cases: start, post, transfer, end, hand off; each moves the state machine, publishes
/// the event and asks Routing where the conversation goes. Any replica can run any of them: state is in Redis.
/// </summary>
public sealed partial class ConversationService(
    ConversationStore store,
    ChatBus bus,
    Routing.RoutingClient routing,
    TenantPolicies tenants,
    MessageScreening screening,
    TimeProvider time,
    ILogger<ConversationService> logger)
{
    public const int MaxTextLength = 4000;

    public async Task<Conversation> StartAsync(Identity customer, string? entryPage, string? language, CancellationToken ct)
    {
        var conversation = await store.CreateAsync(customer.Tenant, customer.UserId, customer.Name, entryPage, language);
        bool botFirst = tenants.IsBotFirst(customer.Tenant);
        var started = NewEvent(conversation, botFirst ? ConversationStates.Bot : ConversationStates.New);
        started.Started = new ConversationStarted
        {
            Customer = new Participant { Kind = ParticipantKind.Customer, Id = customer.UserId, DisplayName = customer.Name },
            EntryPage = entryPage ?? "",
            Language = language ?? "",
        };
        if (botFirst) await store.MoveAsync(conversation.Tenant, conversation.Id, ConversationStates.Bot);
        await bus.PublishEventAsync(started, ct);
        LogStarted(conversation.Tenant, conversation.Id, botFirst);
        if (botFirst)
        {
            await bus.PublishToBotAsync(new BotInboxMessage
            {
                Message = new ChatMessage { TenantId = conversation.Tenant, ConversationId = conversation.Id, Sender = started.Started.Customer },
                ConversationStarted = true,
                Language = language ?? "",
                VisitorId = customer.UserId,
            }, ct);
        }
        return conversation with { State = botFirst ? ConversationStates.Bot : ConversationStates.New };
    }

    /// <summary>Asks Routing for an agent and applies the decision (assigned, or queued with a position).</summary>
    public async Task EnqueueAsync(Conversation conversation, string? firstMessage, CancellationToken ct)
    {
        RoutingDecision decision;
        try
        {
            decision = await routing.EnqueueAsync(new EnqueueRequest
            {
                TenantId = conversation.Tenant,
                ConversationId = conversation.Id,
                VisitorId = conversation.VisitorId,
                CustomerName = conversation.VisitorName ?? "",
                EntryPage = conversation.EntryPage ?? "",
                Language = conversation.Language ?? "",
                FirstMessage = firstMessage ?? "",
            }, deadline: time.GetUtcNow().UtcDateTime.AddSeconds(5), cancellationToken: ct);
        }
        catch (RpcException e)
        {
            // The message is durable already; the queue watcher asks Routing again until it answers.
            LogRoutingUnavailable(conversation.Tenant, conversation.Id, e.StatusCode);
            await MoveToQueueAsync(conversation.Tenant, conversation.Id, skillGroup: null, position: 0, ct);
            return;
        }
        await ApplyAsync(conversation.Tenant, decision, ct);
    }

    public async Task ApplyAsync(string tenant, RoutingDecision decision, CancellationToken ct)
    {
        if (decision.Assigned) await AssignAsync(tenant, decision.ConversationId, decision.AgentId, decision.SkillGroup, ct);
        else await MoveToQueueAsync(tenant, decision.ConversationId, decision.SkillGroup, decision.QueuePosition, ct);
    }

    private async Task AssignAsync(string tenant, string conversationId, string agentId, string skillGroup, CancellationToken ct)
    {
        var agentName = await store.GetAgentNameAsync(tenant, agentId) ?? agentId;
        var before = await store.GetAsync(tenant, conversationId);
        if (before is null) return;
        if (await store.MoveAsync(tenant, conversationId, ConversationStates.Assigned, agentId, agentName, skillGroup) is null) return;
        if (before.AgentId is not null && before.AgentId != agentId)
            await store.RemoveAgentConversationAsync(tenant, before.AgentId, conversationId);
        await store.AddAgentConversationAsync(tenant, agentId, conversationId);
        var assigned = NewEvent(before, ConversationStates.Assigned);
        assigned.Assigned = new AgentAssigned { AgentId = agentId, AgentName = agentName, SkillGroup = skillGroup ?? "" };
        await bus.PublishEventAsync(assigned, ct);
        LogAssigned(tenant, conversationId, agentId);
    }

    private async Task MoveToQueueAsync(string tenant, string conversationId, string? skillGroup, int position, CancellationToken ct)
    {
        var conversation = await store.GetAsync(tenant, conversationId);
        if (conversation is null || !ConversationStates.IsOpen(conversation.State)) return;
        if (conversation.State != ConversationStates.Queued
            && await store.MoveAsync(tenant, conversationId, ConversationStates.Queued, skillGroup: skillGroup) is null) return;
        if (conversation.AgentId is not null) await store.RemoveAgentConversationAsync(tenant, conversation.AgentId, conversationId);
        var queued = NewEvent(conversation, ConversationStates.Queued);
        queued.Queued = new ConversationQueued { SkillGroup = skillGroup ?? conversation.SkillGroup ?? "", Position = position };
        await bus.PublishEventAsync(queued, ct);
    }

    /// <summary>Numbers, stores durably and fans out one message. Returns the ack (or an error frame).</summary>
    public async Task<PostResult> PostAsync(Identity sender, ParticipantKind kind, string conversationId, string clientId, string text,
        IEnumerable<QuickReply>? quickReplies, CancellationToken ct, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var (result, seq, state) = await store.NumberAsync(sender.Tenant, conversationId, clientId,
            kind == ParticipantKind.Customer ? "customer" : kind == ParticipantKind.Agent ? "agent" : "system",
            sender.UserId, privileged: kind is ParticipantKind.Bot or ParticipantKind.System || sender.IsSupervisor, ct);
        switch (result)
        {
            case ConversationStore.NumberingResult.NotFound: return PostResult.Fail("not_found", "no such conversation");
            case ConversationStore.NumberingResult.Ended: return PostResult.Fail("conversation_ended", "the conversation has ended");
            case ConversationStore.NumberingResult.NotParticipant: return PostResult.Fail("forbidden", "not a participant of this conversation");
        }

        if (result == ConversationStore.NumberingResult.Duplicate
            && (await store.GetRecentAsync(sender.Tenant, conversationId)).FirstOrDefault(m => m.Seq == seq) is { } stored)
            return PostResult.Ok(stored, state, duplicate: true); // stored and delivered already: a lost ack, not a lost message
        // A resend of a number not in the latest messages: perhaps never published (its replica killed), and voided by a
        // snapshot since; it carries this message now (docs/performance.md, "Session 13").
        if (result == ConversationStore.NumberingResult.Duplicate) await store.UnvoidAsync(sender.Tenant, conversationId, seq);

        var participant = new Participant { Kind = kind, Id = sender.UserId, DisplayName = sender.Name };
        Screened? screened = null;
        if (kind is ParticipantKind.Customer or ParticipantKind.Agent)
        {
            screened = await screening.ScreenAsync(sender.Tenant, conversationId, clientId, participant, text, ct);
            // The number stays taken by the refused message: a resend with the same client id is refused again, and
            // a joining socket's snapshot does not wait for a message to come with it.
            if (screened.Blocked)
            {
                await store.VoidAsync(sender.Tenant, conversationId, seq);
                return PostResult.Fail("blocked", "the message contains words this service does not allow");
            }
        }

        var message = new ChatMessage
        {
            MessageId = clientId,
            TenantId = sender.Tenant,
            ConversationId = conversationId,
            Seq = seq,
            Sender = participant,
            Text = screened?.Text ?? text,
            SentAtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (screened?.Metadata is { } screenedMetadata) message.Metadata.Add(screenedMetadata);
        if (metadata is not null) foreach (var (key, value) in metadata) message.Metadata[key] = value;
        if (quickReplies is not null) message.QuickReplies.AddRange(quickReplies);
        // Durable before acknowledged: a resend after a lost ack publishes again and JetStream keeps one copy.
        await bus.PublishMessageAsync(message, ct);
        try { store.AppendRecent(message); }
        catch (RedisException e)
        {
            // Stored and delivered already: failing the post now would only make the sender resend it. A snapshot
            // finds it in the stream and puts it back (docs/performance.md, "Session 14").
            LogRecentNotKept(e, sender.Tenant, conversationId, seq);
        }
        return PostResult.Ok(message, state, duplicate: result == ConversationStore.NumberingResult.Duplicate);
    }

    /// <summary>After a customer's message: the bot gets it when it handles the conversation.</summary>
    public async Task AfterCustomerMessageAsync(string state, ChatMessage message, CancellationToken ct)
    {
        if (state != ConversationStates.Bot) return;
        var conversation = await store.GetAsync(message.TenantId, message.ConversationId);
        await bus.PublishToBotAsync(new BotInboxMessage
        {
            Message = message, Language = conversation?.Language ?? "", VisitorId = conversation?.VisitorId ?? message.Sender.Id,
        }, ct);
    }

    /// <summary>After an agent's message: the first one makes an assigned conversation active.</summary>
    public async Task AfterAgentMessageAsync(string state, ChatMessage message, CancellationToken ct)
    {
        if (state is not (ConversationStates.Assigned or ConversationStates.Transferred)) return;
        if (await store.MoveAsync(message.TenantId, message.ConversationId, ConversationStates.Active) is null) return;
        var activated = new ConversationEvent
        {
            TenantId = message.TenantId, ConversationId = message.ConversationId, State = ConversationStates.ToContract(ConversationStates.Active),
            Activated = new ConversationActivated { AgentId = message.Sender.Id },
        };
        await bus.PublishEventAsync(activated, ct);
    }

    public async Task<string?> TransferAsync(Identity agent, string conversationId, string? toAgent, string? toGroup, CancellationToken ct)
    {
        var conversation = await store.GetAsync(agent.Tenant, conversationId);
        if (conversation is null) return "no such conversation";
        if (conversation.AgentId != agent.UserId && !agent.IsSupervisor) return "not your conversation";
        RoutingDecision decision;
        try
        {
            decision = await routing.TransferAsync(new TransferRequest
            {
                TenantId = agent.Tenant, ConversationId = conversationId, FromAgentId = conversation.AgentId ?? "",
                ToAgentId = toAgent ?? "", ToSkillGroup = toGroup ?? "",
            }, deadline: time.GetUtcNow().UtcDateTime.AddSeconds(5), cancellationToken: ct);
        }
        catch (RpcException e)
        {
            return e.Status.Detail;
        }
        await CompleteTransferAsync(conversation, toAgent, toGroup, decision, ct);
        return null;
    }

    /// <summary>Routing's answer to a transfer applied: the first agent lets go, the conversation goes where Routing says.</summary>
    public async Task CompleteTransferAsync(Conversation conversation, string? toAgent, string? toGroup, RoutingDecision decision, CancellationToken ct)
    {
        string tenant = conversation.Tenant, conversationId = conversation.Id;
        if (await store.MoveAsync(tenant, conversationId, ConversationStates.Transferred) is not null)
        {
            var transferred = NewEvent(conversation, ConversationStates.Transferred);
            transferred.Transferred = new ConversationTransferred
            {
                FromAgentId = conversation.AgentId ?? "", ToAgentId = toAgent ?? "", ToSkillGroup = toGroup ?? "",
            };
            await bus.PublishEventAsync(transferred, ct);
        }
        if (conversation.AgentId is not null) await store.RemoveAgentConversationAsync(tenant, conversation.AgentId, conversationId);
        await ApplyAsync(tenant, decision, ct);
        foreach (var freed in decision.AssignedFromQueue) await ApplyAsync(tenant, freed, ct);
    }

    public async Task<string?> EndAsync(Identity by, string conversationId, string? reason, CancellationToken ct)
    {
        var conversation = await store.GetAsync(by.Tenant, conversationId);
        if (conversation is null) return "no such conversation";
        bool participant = by.IsCustomer ? conversation.VisitorId == by.UserId : conversation.AgentId == by.UserId || by.IsSupervisor;
        if (!participant) return "not a participant of this conversation";
        if (await store.MoveAsync(by.Tenant, conversationId, ConversationStates.Ended) is null) return null; // already ended
        var ended = NewEvent(conversation, ConversationStates.Ended);
        ended.Ended = new ConversationEnded { EndedBy = by.UserId, Reason = reason ?? "" };
        await bus.PublishEventAsync(ended, ct);
        await store.CloseAsync(conversation);
        // Released in Routing whether or not an agent had it: a conversation ended while waiting leaves the queue.
        var agent = conversation.State is ConversationStates.Assigned or ConversationStates.Active or ConversationStates.Transferred
            ? conversation.AgentId ?? "" : ""; // a conversation back in the queue keeps its last agent's name in Redis
        await ReleaseAsync(by.Tenant, conversationId, agent, ct);
        return null;
    }

    private async Task ReleaseAsync(string tenant, string conversationId, string agentId, CancellationToken ct)
    {
        try
        {
            var reply = await routing.ReleaseAsync(new ReleaseRequest { TenantId = tenant, ConversationId = conversationId, AgentId = agentId },
                deadline: time.GetUtcNow().UtcDateTime.AddSeconds(5), cancellationToken: ct);
            foreach (var decision in reply.Assigned) await ApplyAsync(tenant, decision, ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && agentId.Length > 0)
        {
            // Routing sees it elsewhere (back in the queue after the agent went offline, or with another agent) than
            // this replica's state says: the conversation has ended all the same, so it leaves Routing wherever it is.
            LogReleasedElsewhere(tenant, conversationId, agentId, e.Status.Detail);
            await ReleaseAsync(tenant, conversationId, agentId: "", ct);
        }
        catch (RpcException e)
        {
            LogRoutingUnavailable(tenant, conversationId, e.StatusCode);
        }
    }

    /// <summary>The bot gives the conversation to a human.</summary>
    public async Task<string?> HandoffAsync(string tenant, string conversationId, string reason, CancellationToken ct)
    {
        var conversation = await store.GetAsync(tenant, conversationId);
        if (conversation is null) return "no such conversation";
        if (conversation.State != ConversationStates.Bot) return $"conversation is {conversation.State}, not with the bot";
        var handoff = NewEvent(conversation, ConversationStates.Bot);
        handoff.Handoff = new BotHandoff { Reason = reason };
        handoff.Handoff.Context.AddRange((await store.GetRecentAsync(tenant, conversationId)).TakeLast(RedisKeys.LatestShown));
        await bus.PublishEventAsync(handoff, ct);
        var recent = handoff.Handoff.Context.FirstOrDefault(m => m.Sender.Kind == ParticipantKind.Customer)?.Text;
        await EnqueueAsync(conversation, recent, ct);
        return null;
    }

    /// <summary>Presence from an agent's console; going offline re-queues the agent's open conversations.</summary>
    public async Task SetPresenceAsync(Identity agent, AgentStatus status, IEnumerable<string> skillGroups, int capacity, CancellationToken ct)
    {
        var request = new SetPresenceRequest { TenantId = agent.Tenant, AgentId = agent.UserId, Status = status, Capacity = capacity };
        request.SkillGroups.AddRange(skillGroups);
        var reply = await routing.SetPresenceAsync(request, deadline: time.GetUtcNow().UtcDateTime.AddSeconds(5), cancellationToken: ct);
        foreach (var decision in reply.Requeued) await ApplyAsync(agent.Tenant, decision, ct);
        foreach (var decision in reply.Assigned) await ApplyAsync(agent.Tenant, decision, ct);
    }

    private static ConversationEvent NewEvent(Conversation conversation, string state) => new()
    {
        TenantId = conversation.Tenant,
        ConversationId = conversation.Id,
        State = ConversationStates.ToContract(state),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "message {Seq} of {Tenant}/{Conversation} is stored but not among Redis's latest messages (Redis unavailable); acknowledged, a snapshot puts it back from the stream")]
    private partial void LogRecentNotKept(Exception e, string tenant, string conversation, long seq);

    [LoggerMessage(Level = LogLevel.Information, Message = "conversation {Tenant}/{Conversation} started (bot first: {BotFirst})")]
    private partial void LogStarted(string tenant, string conversation, bool botFirst);

    [LoggerMessage(Level = LogLevel.Information, Message = "conversation {Tenant}/{Conversation} assigned to {Agent}")]
    private partial void LogAssigned(string tenant, string conversation, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "ended conversation {Tenant}/{Conversation} was not with {Agent} in Routing ({Detail}); released from where it is")]
    private partial void LogReleasedElsewhere(string tenant, string conversation, string agent, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "routing unavailable for {Tenant}/{Conversation} ({Status}); the queue watcher retries")]
    private partial void LogRoutingUnavailable(string tenant, string conversation, StatusCode status);
}

/// <summary>A posted message (or why not), with the conversation's state when it was numbered.</summary>
public sealed record PostResult(ChatMessage? Message, string? State, bool Duplicate, string? ErrorCode, string? Error)
{
    public static PostResult Ok(ChatMessage message, string state, bool duplicate) => new(message, state, duplicate, null, null);
    public static PostResult Fail(string code, string error) => new(null, null, false, code, error);
}
