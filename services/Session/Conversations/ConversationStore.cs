using CustomerService.Contracts;
using Google.Protobuf;
using StackExchange.Redis;

namespace CustomerService.Session.Conversations;

/// <summary>
/// Conversations' hot state in Redis, shared by every Session replica: the state hash, the per-conversation
/// sequence counter with client-id de-duplication, the latest messages, and who is in which conversation.
/// Keys are prefixed by tenant so no query can cross tenants.
/// </summary>
public sealed class ConversationStore(IConnectionMultiplexer redis, RedisIncarnation incarnation, StoredSequences streamSequences,
    TimeProvider time)
{
    private IDatabase Db => redis.GetDatabase();

    private static RedisKey ConversationKey(string t, string c) => $"cs:{t}:conv:{c}";
    /// <summary>clientId → seq of a conversation's numbered messages.</summary>
    internal static RedisKey ClientIdsKey(string t, string c) => $"cs:{t}:conv:{c}:ids";
    private static RedisKey VoidSeqsKey(string t, string c) => $"cs:{t}:conv:{c}:void";
    private static RedisKey OpenConversationKey(string t, string visitor) => $"cs:{t}:visitor:{visitor}:open";
    private static RedisKey VisitorHistoryKey(string t, string visitor) => $"cs:{t}:visitor:{visitor}:convs";
    private static RedisKey AgentConversationsKey(string t, string agent) => $"cs:{t}:agent:{agent}:convs";
    private static RedisKey AgentNamesKey(string t) => $"cs:{t}:agent-names";

    /// <summary>How long an ended conversation's hot state stays for resume and return visits.</summary>
    public static readonly TimeSpan EndedRetention = TimeSpan.FromDays(2);

    /// <summary>
    /// Numbers a message atomically, in the one round trip a message costs in Redis: the conversation must exist and
    /// the sender take part in it (a privileged sender, bot, system or supervisor, may post as agent); a client id
    /// seen before returns its first sequence number (a resend after a lost ack is not a new message, even after
    /// the end); an ended conversation takes nothing new. Returns the code, the number and the conversation's state.
    /// Codes: 0 new, 1 duplicate, -1 no such conversation, -2 ended, -3 not a participant, -4 the counter was last
    /// checked in another run of Redis (<see cref="RedisIncarnation"/>) and <c>@floor</c> was not given: the caller
    /// reads the last number JetStream stored and asks again with it. With a floor, the counter is raised to it
    /// (never lowered), the numbers it skips are marked void (nothing waits for them) and the run recorded.
    /// </summary>
    private static readonly LuaScript NumberMessage = LuaScript.Prepare("""
        local c = redis.call('HMGET', @conv, 'state', 'visitor', 'agent', 'seqRun')
        if not c[1] then return {-1, 0, ''} end
        if @kind == 'customer' and c[2] ~= @sender then return {-3, 0, c[1]} end
        if @kind == 'agent' and c[3] ~= @sender and @privileged ~= '1' then return {-3, 0, c[1]} end
        local s = redis.call('HGET', @ids, @clientId)
        if s then return {1, tonumber(s), c[1]} end
        if c[1] == 'ended' then return {-2, 0, c[1]} end
        if c[4] ~= @run then
          if @floor == '' then return {-4, 0, c[1]} end
          local current = tonumber(redis.call('HGET', @conv, 'seq') or '0')
          local floor = tonumber(@floor)
          if floor > current then
            redis.call('HSET', @conv, 'seq', floor)
            for skipped = math.max(current, tonumber(@stored)) + 1, floor do redis.call('SADD', @voids, skipped) end
          end
          redis.call('HSET', @conv, 'seqRun', @run)
        end
        local seq = redis.call('HINCRBY', @conv, 'seq', 1)
        redis.call('HSET', @ids, @clientId, seq)
        return {0, seq, c[1]}
        """);

    public enum NumberingResult { New = 0, Duplicate = 1, NotFound = -1, Ended = -2, NotParticipant = -3 }

    /// <summary>
    /// How far past the last number JetStream stored a counter checked after a Redis restart is raised: numbers
    /// handed out just before the restart may still be on their way into the stream (posters on other replicas,
    /// publishes landing out of order), and none of them may be handed out again. The numbers skipped are void.
    /// </summary>
    public const long ReconcileMargin = 16;

    public async Task<(NumberingResult Result, long Seq, string State)> NumberAsync(string tenant, string conversation, string clientId,
        string senderKind, string senderId, bool privileged, CancellationToken ct = default)
    {
        var run = await incarnation.CurrentAsync();
        var result = await NumberOnceAsync(tenant, conversation, clientId, senderKind, senderId, privileged, run, stored: null);
        if ((int)result[0] == -4)
            result = await NumberOnceAsync(tenant, conversation, clientId, senderKind, senderId, privileged, run,
                stored: await streamSequences.LastAsync(tenant, conversation, ct));
        return ((NumberingResult)(int)result[0], (long)result[1], (string?)result[2] ?? "");
    }

    private async Task<RedisResult[]> NumberOnceAsync(string tenant, string conversation, string clientId, string senderKind,
        string senderId, bool privileged, string run, long? stored) =>
        (RedisResult[])(await Db.ScriptEvaluateAsync(NumberMessage, new
        {
            conv = ConversationKey(tenant, conversation),
            ids = ClientIdsKey(tenant, conversation),
            voids = VoidSeqsKey(tenant, conversation),
            clientId,
            kind = senderKind,
            sender = senderId,
            privileged = privileged ? "1" : "0",
            run,
            stored = stored?.ToString() ?? "0",
            floor = stored is { } last ? (last + ReconcileMargin).ToString() : "",
        }))!;

    public async Task<Conversation> CreateAsync(string tenant, string visitorId, string? visitorName, string? entryPage, string? language)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var conversation = new Conversation(tenant, id, ConversationStates.New, visitorId, visitorName, null, null, null, 0, now, entryPage, language);
        var run = await incarnation.CurrentAsync(); // a new conversation has nothing in JetStream to check against
        var tx = Db.CreateTransaction();
        _ = tx.HashSetAsync(ConversationKey(tenant, id),
        [
            new("state", ConversationStates.New), new("visitor", visitorId), new("visitorName", visitorName ?? ""),
            new("seq", 0), new("seqRun", run), new("created", now), new("entryPage", entryPage ?? ""), new("language", language ?? ""),
        ]);
        _ = tx.StringSetAsync(OpenConversationKey(tenant, visitorId), id);
        _ = tx.ListLeftPushAsync(VisitorHistoryKey(tenant, visitorId), id);
        _ = tx.ListTrimAsync(VisitorHistoryKey(tenant, visitorId), 0, 19);
        await tx.ExecuteAsync();
        return conversation;
    }

    public async Task<Conversation?> GetAsync(string tenant, string conversation) =>
        ToConversation(tenant, conversation, await Db.HashGetAllAsync(ConversationKey(tenant, conversation)));

    private static Conversation? ToConversation(string tenant, string conversation, HashEntry[] values)
    {
        if (values.Length == 0) return null;
        var map = values.ToDictionary(v => (string)v.Name!, v => (string?)v.Value);
        string? Get(string key) => map.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v : null;
        return new Conversation(tenant, conversation, Get("state") ?? ConversationStates.New, Get("visitor") ?? "",
            Get("visitorName"), Get("agent"), Get("agentName"), Get("skill"),
            long.TryParse(Get("seq"), out var seq) ? seq : 0, long.TryParse(Get("created"), out var created) ? created : 0,
            Get("entryPage"), Get("language"));
    }

    /// <summary>
    /// The conversation, its latest messages and its void numbers, read at one instant (one transaction): every
    /// number up to the conversation's last was handed out before this read, none of the messages read is newer.
    /// </summary>
    public async Task<(Conversation Conversation, IReadOnlyList<ChatMessage> Recent, IReadOnlySet<long> Voids)?> ReadSnapshotAsync(
        string tenant, string conversation)
    {
        var tx = Db.CreateTransaction();
        var hash = tx.HashGetAllAsync(ConversationKey(tenant, conversation));
        var recent = tx.ListRangeAsync(RedisKeys.RecentMessages(tenant, conversation));
        var voids = tx.SetMembersAsync(VoidSeqsKey(tenant, conversation));
        await tx.ExecuteAsync();
        if (ToConversation(tenant, conversation, await hash) is not { } found) return null;
        return (found, ParseRecent(await recent), ParseVoids(await voids));
    }

    /// <summary>The latest messages and the void numbers again, for a snapshot waiting for numbers to settle.</summary>
    public async Task<(IReadOnlyList<ChatMessage> Recent, IReadOnlySet<long> Voids)> ReadSettledAsync(string tenant, string conversation)
    {
        var batch = Db.CreateBatch();
        var recent = batch.ListRangeAsync(RedisKeys.RecentMessages(tenant, conversation));
        var voids = batch.SetMembersAsync(VoidSeqsKey(tenant, conversation));
        batch.Execute();
        return (ParseRecent(await recent), ParseVoids(await voids));
    }

    /// <summary>
    /// A number that will never carry a published message (screening refused it), so a joining socket's snapshot
    /// does not wait for it to settle.
    /// </summary>
    public async Task VoidAsync(string tenant, string conversation, long seq) =>
        await Db.SetAddAsync(VoidSeqsKey(tenant, conversation), seq);

    /// <summary>
    /// A number about to carry a message after all: the resend of a post whose replica was killed between numbering and
    /// publishing gets its first number again, which a snapshot may have voided meanwhile (it was in neither Redis nor
    /// the stream then). Left void, it would pass for "no message" in every later answer whose stream read stopped short.
    /// </summary>
    public async Task UnvoidAsync(string tenant, string conversation, long seq) =>
        await Db.SetRemoveAsync(VoidSeqsKey(tenant, conversation), seq);

    private static HashSet<long> ParseVoids(RedisValue[] values)
    {
        var seqs = new HashSet<long>(values.Length);
        foreach (var v in values) if (v.TryParse(out long seq)) seqs.Add(seq);
        return seqs;
    }

    public async Task<string?> GetOpenConversationIdAsync(string tenant, string visitorId) =>
        await Db.StringGetAsync(OpenConversationKey(tenant, visitorId));

    public async Task<IReadOnlyList<string>> GetVisitorConversationIdsAsync(string tenant, string visitorId) =>
        (await Db.ListRangeAsync(VisitorHistoryKey(tenant, visitorId))).Select(v => v.ToString()).ToArray();

    public async Task<IReadOnlyList<string>> GetAgentConversationIdsAsync(string tenant, string agentId) =>
        (await Db.SetMembersAsync(AgentConversationsKey(tenant, agentId))).Select(v => v.ToString()).ToArray();

    /// <summary>
    /// Moves the conversation to a new state if the state machine allows it from the current one. Returns the
    /// state before, or null when the move was refused (a concurrent replica got there first).
    /// </summary>
    private static readonly LuaScript Transition = LuaScript.Prepare("""
        local current = redis.call('HGET', @conv, 'state')
        if not current then return false end
        local allowed = false
        for token in string.gmatch(@from, '[^,]+') do if token == current then allowed = true end end
        if not allowed then return false end
        redis.call('HSET', @conv, 'state', @to)
        if @agent ~= '' then redis.call('HSET', @conv, 'agent', @agent, 'agentName', @agentName) end
        if @skill ~= '' then redis.call('HSET', @conv, 'skill', @skill) end
        return current
        """);

    public async Task<string?> MoveAsync(string tenant, string conversation, string to, string? agentId = null,
        string? agentName = null, string? skillGroup = null)
    {
        var from = string.Join(',', AllowedFrom(to));
        var result = await Db.ScriptEvaluateAsync(Transition, new
        {
            conv = ConversationKey(tenant, conversation),
            from,
            to,
            agent = agentId ?? "",
            agentName = agentName ?? "",
            skill = skillGroup ?? "",
        });
        return result.IsNull ? null : (string?)result;
    }

    private static IEnumerable<string> AllowedFrom(string to) =>
        new[] { ConversationStates.New, ConversationStates.Bot, ConversationStates.Queued, ConversationStates.Assigned,
                ConversationStates.Active, ConversationStates.Transferred }
            .Where(from => ConversationStates.CanMove(from, to));

    public async Task AddAgentConversationAsync(string tenant, string agentId, string conversation) =>
        await Db.SetAddAsync(AgentConversationsKey(tenant, agentId), conversation);

    public async Task RemoveAgentConversationAsync(string tenant, string agentId, string conversation) =>
        await Db.SetRemoveAsync(AgentConversationsKey(tenant, agentId), conversation);

    public async Task CloseAsync(Conversation conversation)
    {
        var tx = Db.CreateTransaction();
        _ = tx.KeyDeleteAsync(OpenConversationKey(conversation.Tenant, conversation.VisitorId));
        if (conversation.AgentId is not null)
            _ = tx.SetRemoveAsync(AgentConversationsKey(conversation.Tenant, conversation.AgentId), conversation.Id);
        _ = tx.KeyExpireAsync(ConversationKey(conversation.Tenant, conversation.Id), EndedRetention);
        _ = tx.KeyExpireAsync(ClientIdsKey(conversation.Tenant, conversation.Id), EndedRetention);
        _ = tx.KeyExpireAsync(VoidSeqsKey(conversation.Tenant, conversation.Id), EndedRetention);
        _ = tx.KeyExpireAsync(RedisKeys.RecentMessages(conversation.Tenant, conversation.Id), EndedRetention);
        await tx.ExecuteAsync();
    }

    public async Task SetAgentNameAsync(string tenant, string agentId, string name) =>
        await Db.HashSetAsync(AgentNamesKey(tenant), agentId, name, flags: CommandFlags.FireAndForget);

    public async Task<string?> GetAgentNameAsync(string tenant, string agentId) =>
        await Db.HashGetAsync(AgentNamesKey(tenant), agentId);

    /// <summary>Keeps the latest messages for the bot's context and quick resumes (oldest first, capped).</summary>
    public void AppendRecent(ChatMessage message)
    {
        var key = RedisKeys.RecentMessages(message.TenantId, message.ConversationId);
        var batch = Db.CreateBatch();
        _ = batch.ListRightPushAsync(key, message.ToByteArray(), flags: CommandFlags.FireAndForget);
        _ = batch.ListTrimAsync(key, -RedisKeys.RecentMessagesKept, -1, CommandFlags.FireAndForget);
        batch.Execute();
    }

    public async Task<IReadOnlyList<ChatMessage>> GetRecentAsync(string tenant, string conversation) =>
        ParseRecent(await Db.ListRangeAsync(RedisKeys.RecentMessages(tenant, conversation)));

    private static List<ChatMessage> ParseRecent(RedisValue[] values)
    {
        var messages = new List<ChatMessage>(values.Length);
        foreach (var v in values) messages.Add(ChatMessage.Parser.ParseFrom((byte[])v!));
        messages.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        // A resend after a lost ack can leave a message twice in the list; the seq tells.
        return messages.DistinctBy(m => m.Seq).ToList();
    }
}
