namespace CustomerService.Routing.Dispatch;

/// <summary>
/// The Lua scripts behind every routing decision. Each runs atomically inside Redis, so replicas racing on the
/// same tenant see one another's decisions whole: a conversation is assigned once, an agent never past capacity.
/// The data model is described in docs/routing.md.
/// </summary>
/// <remarks>
/// Every script receives ARGV[1] = the tenant's key prefix (hash-tagged, so all of a tenant's keys share one
/// cluster slot), ARGV[2] = now in Unix milliseconds (from TimeProvider, not the Redis clock, so tests control
/// time), ARGV[3] = how long a visitor stays sticky to their last agent, in milliseconds. A script answers
/// {'ok', ...} or {code, message} with code one of not_found, failed_precondition.
/// A decision is {conversation, assigned (1/0), agent, skill group, queue position}.
/// </remarks>
internal static class RoutingScripts
{
    private const string Library = """
        local p = ARGV[1]
        local now = tonumber(ARGV[2])
        local stickyMs = tonumber(ARGV[3])
        -- queue score = band * 2^44 + sequence: bands order the queue, the tenant-wide sequence keeps FIFO within a band
        local BAND = 17592186044416

        local function agentKey(a) return p .. 'agent:' .. a end
        local function groupsKey(a) return p .. 'agent:' .. a .. ':groups' end
        local function convsKey(a) return p .. 'agent:' .. a .. ':convs' end
        local function freeKey(g) return p .. 'group:' .. g .. ':free' end
        local function queueKey(g) return p .. 'group:' .. g .. ':queue' end
        local function convKey(c) return p .. 'conv:' .. c end
        local function visitorKey(v) return p .. 'visitor:' .. v .. ':agent' end
        local overflowKey = p .. 'overflow'

        local function capacityOf(a)
          local h = redis.call('HMGET', agentKey(a), 'status', 'capacity')
          return h[1], tonumber(h[2]) or 0, redis.call('SCARD', convsKey(a))
        end

        -- An agent is in a group's free set exactly while online with spare capacity, scored by its load.
        local function refreshFree(a)
          local status, capacity, load = capacityOf(a)
          local free = status == 'online' and load < capacity
          for _, g in ipairs(redis.call('SMEMBERS', groupsKey(a))) do
            if free then redis.call('ZADD', freeKey(g), load, a) else redis.call('ZREM', freeKey(g), a) end
          end
        end

        local function position(c, g)
          local rank = redis.call('ZRANK', queueKey(g), c)
          if rank then return rank + 1 end
          return 0
        end

        local function nextScore(band)
          return band * BAND + redis.call('INCR', p .. 'queue-seq')
        end

        local function assign(c, a)
          local ck = convKey(c)
          local h = redis.call('HMGET', ck, 'state', 'group', 'visitor')
          if h[1] == 'queued' then redis.call('ZREM', queueKey(h[2]), c) end
          redis.call('HSET', ck, 'state', 'assigned', 'agent', a, 'assigned_at', now)
          redis.call('HDEL', ck, 'score', 'queued_at')
          redis.call('ZREM', overflowKey, c)
          redis.call('SADD', convsKey(a), c)
          if h[3] and h[3] ~= '' then redis.call('SET', visitorKey(h[3]), a, 'PX', stickyMs) end
          refreshFree(a)
          return {c, 1, a, h[2], 0}
        end

        local function enqueue(c, g, score)
          local ck = convKey(c)
          redis.call('ZADD', queueKey(g), score, c)
          -- Every group that ever had a queue, so the queue can be listed without scanning keys.
          redis.call('SADD', p .. 'groups', g)
          redis.call('HSET', ck, 'state', 'queued', 'group', g, 'score', score, 'queued_at', now)
          redis.call('HDEL', ck, 'agent')
          return {c, 0, '', g, position(c, g)}
        end

        local function leastLoaded(g, except)
          for _, a in ipairs(redis.call('ZRANGE', freeKey(g), 0, 1)) do
            if a ~= except then return a end
          end
          return nil
        end

        -- To the least-loaded free agent of g (never `except`), else into g's queue at `score`.
        -- The conversation must not be in any queue when this is called.
        local function place(c, g, score, except)
          redis.call('HSET', convKey(c), 'state', 'placing', 'group', g)
          local a = leastLoaded(g, except)
          if a then return assign(c, a) end
          return enqueue(c, g, score)
        end

        -- Fills agent a's spare capacity from the queues of its groups, best score first, skipping `except`
        -- (a conversation just transferred away from a must not bounce back to it).
        local function drain(a, except)
          local out = {}
          while true do
            local status, capacity, load = capacityOf(a)
            if status ~= 'online' or load >= capacity then break end
            local best, bestScore
            for _, g in ipairs(redis.call('SMEMBERS', groupsKey(a))) do
              local head = redis.call('ZRANGE', queueKey(g), 0, 1, 'WITHSCORES')
              local i = 1
              if head[1] == except then i = 3 end
              if head[i] and (not best or tonumber(head[i + 1]) < bestScore) then
                best, bestScore = head[i], tonumber(head[i + 1])
              end
            end
            if not best then break end
            out[#out + 1] = assign(best, a)
          end
          return out
        end

        local function detach(c, a)
          redis.call('SREM', convsKey(a), c)
          refreshFree(a)
        end

        """;

    /// <summary>
    /// ARGV[4..]: conversation, visitor, skill group, band, overflow group ('' for none), overflow after ms, then
    /// what the queue shows of the customer: name, language, entry page, tier ('' when unknown).
    /// </summary>
    public const string Enqueue = Library + """
        local c, v, g, band = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
        local overflowTo, overflowAfter = ARGV[8], tonumber(ARGV[9])
        local ck = convKey(c)
        local h = redis.call('HMGET', ck, 'state', 'agent', 'group')
        -- Idempotent: a conversation routing already holds keeps its decision.
        if h[1] == 'queued' then return {'ok', {c, 0, '', h[3], position(c, h[3])}} end
        if h[1] == 'assigned' then return {'ok', {c, 1, h[2], h[3], 0}} end
        redis.call('HSET', ck, 'visitor', v, 'created_at', now,
          'name', ARGV[10] or '', 'language', ARGV[11] or '', 'entry_page', ARGV[12] or '', 'tier', ARGV[13] or '')
        if v ~= '' then
          local last = redis.call('GET', visitorKey(v))
          if last and redis.call('ZSCORE', freeKey(g), last) then
            redis.call('HSET', ck, 'group', g)
            return {'ok', assign(c, last)}
          end
        end
        local decision = place(c, g, nextScore(band), nil)
        if decision[2] == 0 and overflowTo ~= '' and overflowTo ~= g then
          redis.call('HSET', ck, 'overflow_to', overflowTo)
          redis.call('ZADD', overflowKey, now + overflowAfter, c)
        end
        return {'ok', decision}
        """;

    /// <summary>
    /// ARGV[4..]: agent, status (online, away, offline), capacity ('' keeps the current one), skill groups
    /// (none: keep the current ones). Answers {'ok', re-queued or re-assigned, assigned from the queues}.
    /// </summary>
    public const string SetPresence = Library + """
        local a, status, capacity = ARGV[4], ARGV[5], ARGV[6]
        local ak = agentKey(a)
        if #ARGV > 6 then
          for _, g in ipairs(redis.call('SMEMBERS', groupsKey(a))) do redis.call('ZREM', freeKey(g), a) end
          redis.call('DEL', groupsKey(a))
          redis.call('SADD', groupsKey(a), unpack(ARGV, 7))
        end
        redis.call('HSET', ak, 'status', status, 'since', now)
        if capacity ~= '' then redis.call('HSET', ak, 'capacity', capacity) end
        refreshFree(a)
        if status == 'online' then return {'ok', {}, drain(a, '')} end
        if status == 'away' then return {'ok', {}, {}} end
        -- Offline: each open conversation, oldest assignment first, goes to another agent of its group or to
        -- the front band of its queue.
        local open = {}
        for _, c in ipairs(redis.call('SMEMBERS', convsKey(a))) do
          open[#open + 1] = {c, tonumber(redis.call('HGET', convKey(c), 'assigned_at')) or 0}
        end
        table.sort(open, function(x, y) if x[2] == y[2] then return x[1] < y[1] end return x[2] < y[2] end)
        redis.call('DEL', convsKey(a))
        local moved = {}
        for _, entry in ipairs(open) do
          local c = entry[1]
          moved[#moved + 1] = place(c, redis.call('HGET', convKey(c), 'group'), nextScore(0), a)
        end
        return {'ok', moved, {}}
        """;

    /// <summary>
    /// ARGV[4..]: conversation, from agent ('' for any), to agent, to skill group (exactly one of the two).
    /// Answers {'ok', decision, assigned from the queues to the previous agent}.
    /// </summary>
    public const string Transfer = Library + """
        local c, from, toAgent, toGroup = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
        local h = redis.call('HMGET', convKey(c), 'state', 'agent', 'group')
        if not h[1] then return {'not_found', 'conversation ' .. c .. ' is not known to routing'} end
        if h[1] ~= 'assigned' then
          return {'failed_precondition', 'conversation ' .. c .. ' is waiting in the queue of ' .. h[3] .. '; only an assigned conversation can be transferred'}
        end
        local current = h[2]
        if from ~= '' and from ~= current then
          return {'failed_precondition', 'conversation ' .. c .. ' is assigned to ' .. current .. ', not to ' .. from}
        end
        local decision
        if toAgent ~= '' then
          if toAgent == current then
            return {'failed_precondition', 'conversation ' .. c .. ' is already assigned to ' .. toAgent}
          end
          local status, capacity, load = capacityOf(toAgent)
          if not status then return {'not_found', 'agent ' .. toAgent .. ' has never set a presence'} end
          if status ~= 'online' then return {'failed_precondition', 'agent ' .. toAgent .. ' is ' .. status} end
          if load >= capacity then
            return {'failed_precondition', 'agent ' .. toAgent .. ' is at capacity (' .. load .. ' of ' .. capacity .. ')'}
          end
          detach(c, current)
          decision = assign(c, toAgent)
        else
          detach(c, current)
          decision = place(c, toGroup, nextScore(0), current)
        end
        return {'ok', decision, drain(current, c)}
        """;

    /// <summary>ARGV[4..]: conversation, agent ('' for any). Answers {'ok', assigned from the queues}.</summary>
    public const string Release = Library + """
        local c, agent = ARGV[4], ARGV[5]
        local ck = convKey(c)
        local h = redis.call('HMGET', ck, 'state', 'agent', 'group', 'visitor')
        if not h[1] then return {'not_found', 'conversation ' .. c .. ' is not known to routing'} end
        if agent ~= '' and h[2] ~= agent then
          if h[1] == 'queued' then
            return {'failed_precondition', 'conversation ' .. c .. ' is waiting in the queue of ' .. h[3] .. ', not assigned to ' .. agent}
          end
          return {'failed_precondition', 'conversation ' .. c .. ' is assigned to ' .. h[2] .. ', not to ' .. agent}
        end
        redis.call('DEL', ck)
        redis.call('ZREM', overflowKey, c)
        if h[1] == 'queued' then
          redis.call('ZREM', queueKey(h[3]), c)
          return {'ok', {}}
        end
        -- The stickiness window runs from the end of the conversation.
        if h[4] and h[4] ~= '' then redis.call('SET', visitorKey(h[4]), h[2], 'PX', stickyMs) end
        detach(c, h[2])
        return {'ok', drain(h[2], '')}
        """;

    /// <summary>ARGV[4]: conversation. Answers {'ok', decision}.</summary>
    public const string Find = Library + """
        local c = ARGV[4]
        local h = redis.call('HMGET', convKey(c), 'state', 'agent', 'group')
        if not h[1] then return {'not_found', 'conversation ' .. c .. ' is not known to routing'} end
        if h[1] == 'queued' then return {'ok', {c, 0, '', h[3], position(c, h[3])}} end
        return {'ok', {c, 1, h[2], h[3], 0}}
        """;

    /// <summary>
    /// ARGV[4]: how many conversations at most. Moves queued conversations whose overflow time has come to their
    /// overflow group, keeping their score so they rank there by how long they have waited. Answers {'ok', decisions}.
    /// </summary>
    public const string Overflow = Library + """
        local moved = {}
        for _, c in ipairs(redis.call('ZRANGEBYSCORE', overflowKey, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))) do
          redis.call('ZREM', overflowKey, c)
          local ck = convKey(c)
          local h = redis.call('HMGET', ck, 'state', 'group', 'overflow_to', 'score')
          if h[1] == 'queued' and h[3] and h[3] ~= h[2] then
            redis.call('ZREM', queueKey(h[2]), c)
            redis.call('HDEL', ck, 'overflow_to')
            moved[#moved + 1] = place(c, h[3], tonumber(h[4]), nil)
          end
        end
        return {'ok', moved}
        """;

    /// <summary>
    /// ARGV[4..]: limit, mode ('all': every group that ever had a queue; 'only': the groups from ARGV[7] on), agent
    /// ('' for none: otherwise only the agent's own skill groups among those), groups. Answers {'ok', entries, total}
    /// with entries best first (band, then sequence), each {conversation, group, position in group, band,
    /// queued_at, created_at, visitor, name, language, entry page, tier}; total counts every waiting conversation
    /// of the groups listed. Reads only.
    /// </summary>
    public const string ListQueue = Library + """
        local limit, mode, agent = tonumber(ARGV[4]), ARGV[5], ARGV[6]
        local groups = {}
        if mode == 'all' then groups = redis.call('SMEMBERS', p .. 'groups')
        else for i = 7, #ARGV do groups[#groups + 1] = ARGV[i] end end
        if agent ~= '' then
          local kept = {}
          for _, g in ipairs(groups) do
            if redis.call('SISMEMBER', groupsKey(agent), g) == 1 then kept[#kept + 1] = g end
          end
          groups = kept
        end
        local total, entries = 0, {}
        for _, g in ipairs(groups) do
          total = total + redis.call('ZCARD', queueKey(g))
          local head = redis.call('ZRANGE', queueKey(g), 0, limit - 1, 'WITHSCORES')
          for i = 1, #head, 2 do entries[#entries + 1] = {head[i], tonumber(head[i + 1]), g, (i + 1) / 2} end
        end
        table.sort(entries, function(x, y) if x[2] == y[2] then return x[1] < y[1] end return x[2] < y[2] end)
        local out = {}
        for i = 1, math.min(limit, #entries) do
          local e = entries[i]
          local h = redis.call('HMGET', convKey(e[1]), 'queued_at', 'created_at', 'visitor', 'name', 'language', 'entry_page', 'tier')
          out[i] = {e[1], e[3], e[4], math.floor(e[2] / BAND), tonumber(h[1]) or 0, tonumber(h[2]) or 0,
            h[3] or '', h[4] or '', h[5] or '', h[6] or '', h[7] or ''}
        end
        return {'ok', out, total}
        """;

    /// <summary>
    /// ARGV[4..]: agents. Answers {'ok', {status ('' when never set), accepting (1: online with spare capacity)} per
    /// agent, in order}. Reads only.
    /// </summary>
    public const string Presence = Library + """
        local out = {}
        for i = 4, #ARGV do
          local status, capacity, load = capacityOf(ARGV[i])
          out[#out + 1] = {status or '', (status == 'online' and load < capacity) and 1 or 0}
        end
        return {'ok', out}
        """;

    /// <summary>ARGV[4]: agent. Answers {'ok', the agent's skill groups as Routing routes by them}.</summary>
    public const string AgentGroups = Library + """
        return {'ok', redis.call('SMEMBERS', groupsKey(ARGV[4]))}
        """;
}
