using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.Storage;

namespace CustomerService.HistoryWriter.History;

public sealed record SearchCriteria(string? Text, string? Customer, string? Agent, DateTimeOffset From, DateTimeOffset To, int Limit);

public sealed record StatsCriteria(DateTimeOffset From, DateTimeOffset To, StatsBucket Bucket, StatsDimension By, string TimeZone);

public enum ConversationOwner { Unknown, Caller, AnotherTenant }

/// <summary>A history query ran, or waited for the engine, longer than <see cref="HistoryOptions.QueryTimeout"/> and was stopped.</summary>
public sealed class HistoryQueryTimeoutException(TimeSpan limit, Exception? inner = null)
    : TimeoutException($"the history query took longer than History:QueryTimeout ({limit.TotalSeconds:0.###} s) and was stopped", inner)
{
    public TimeSpan Limit { get; } = limit;
}

/// <summary>
/// Every read of history, one SQL text each for both engines. Each statement filters on the caller's tenant first
/// (the leading column of every table's key) and binds every value as a parameter; the only text ever composed into
/// SQL is the configured database name, the configured timeout and fixed fragments chosen here. Every statement runs
/// under <paramref name="queryTimeout"/>: the engine stops it there (max_execution_time), and waiting for the engine
/// counts too, so one tenant's heavy query holds the engine from archiving and from other tenants that long at most.
/// </summary>
internal sealed class HistoryQueries(HistoryStore store, TimeProvider time, TimeSpan queryTimeout)
{
    private readonly string _limits = string.Create(CultureInfo.InvariantCulture,
        $"\nSETTINGS max_execution_time = {queryTimeout.TotalSeconds:0.###}, timeout_overflow_mode = 'throw'");

    private const string MessageColumns =
        "conversation_id, seq, message_id, sender_kind, sender_id, sender_name, text, toUnixTimestamp64Milli(sent_at) AS sent_at_ms, metadata, quick_replies";

    private const string EventColumns =
        "event_id, kind, state, toUnixTimestamp64Milli(occurred_at) AS occurred_at_ms, customer_id, customer_name, agent_id, agent_name, " +
        "skill_group, from_agent_id, reason, ended_by, entry_page, language, queue_position";

    /// <summary>Rows past their tenant's retention are hidden at once, before TTL merges get round to deleting them.</summary>
    private const string Retained = "toDateTime(sent_at) + toIntervalDay(retention_days) > now()";

    private HistorySchema Schema => store.Schema;

    public async Task<TranscriptPage> TranscriptAsync(string tenant, string conversation, long? after, long? before, int limit,
        CancellationToken cancellationToken)
    {
        var backward = before is not null && after is null;
        var parameters = new QueryParameters().Add("tenant", tenant).Add("conversation", conversation).Add("limit", limit)
            .Add("bound", backward ? before!.Value : after ?? 0);
        var sql = $$"""
            SELECT {{MessageColumns}}
            FROM {{Schema.Messages}} FINAL
            WHERE tenant_id = {tenant:String} AND conversation_id = {conversation:String}
              AND {{(backward ? "seq < {bound:Int64}" : "seq > {bound:Int64}")}} AND {{Retained}}
            ORDER BY seq {{(backward ? "DESC" : "ASC")}}
            LIMIT {limit:Int64}
            """;
        var rows = await QueryRowsAsync(sql, parameters, RowsJsonContext.Default.MessageRow, cancellationToken);
        if (backward) rows.Reverse();
        var messages = rows.ConvertAll(r => r.ToView());
        var full = rows.Count == limit;
        long? nextAfter = (backward || full) && rows.Count > 0 ? rows[^1].Seq : null;
        long? nextBefore = rows.Count > 0 && rows[0].Seq > 1 && (!backward || full) ? rows[0].Seq : null;
        if (!backward && !full) nextAfter = null;
        return new TranscriptPage(conversation, messages, nextAfter, nextBefore);
    }

    /// <summary>Whose conversation this is: the caller's tenant's, another tenant's (403), or nobody's (404).</summary>
    public async Task<ConversationOwner> OwnerOfAsync(string tenant, string conversation, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters().Add("tenant", tenant).Add("conversation", conversation);
        var sql = $$"""
            SELECT
                (SELECT count() FROM {{Schema.Messages}} WHERE tenant_id = {tenant:String} AND conversation_id = {conversation:String})
                + (SELECT count() FROM {{Schema.Events}} WHERE tenant_id = {tenant:String} AND conversation_id = {conversation:String}) AS own,
                (SELECT count() FROM {{Schema.Messages}} WHERE tenant_id != {tenant:String} AND conversation_id = {conversation:String})
                + (SELECT count() FROM {{Schema.Events}} WHERE tenant_id != {tenant:String} AND conversation_id = {conversation:String}) AS foreign
            """;
        var rows = await QueryRowsAsync(sql, parameters, RowsJsonContext.Default.OwnershipRow, cancellationToken);
        var row = rows.Count > 0 ? rows[0] : new OwnershipRow(0, 0);
        return row.Own > 0 ? ConversationOwner.Caller : row.Foreign > 0 ? ConversationOwner.AnotherTenant : ConversationOwner.Unknown;
    }

    public async Task<SearchResult> SearchAsync(string tenant, SearchCriteria criteria, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters().Add("tenant", tenant)
            .Add("from", criteria.From.ToUnixTimeMilliseconds()).Add("to", criteria.To.ToUnixTimeMilliseconds()).Add("limit", criteria.Limit);
        var sql = new StringBuilder($$"""
            SELECT {{MessageColumns}}
            FROM {{Schema.Messages}} FINAL
            WHERE tenant_id = {tenant:String}
              AND sent_at >= fromUnixTimestamp64Milli({from:Int64}) AND sent_at < fromUnixTimestamp64Milli({to:Int64})
              AND {{Retained}}
            """);
        if (!string.IsNullOrEmpty(criteria.Text))
        {
            // A substring match, case-folded on both sides; the ngram bloom filter on lowerUTF8(text) skips granules
            // that cannot contain it. LIKE's own wildcards in the search text are escaped: they are characters here.
            parameters.Add("pattern", "%" + EscapeLike(criteria.Text) + "%");
            sql.Append("\n  AND lowerUTF8(text) LIKE lowerUTF8({pattern:String})");
        }
        if (!string.IsNullOrEmpty(criteria.Customer))
        {
            parameters.Add("customer", criteria.Customer);
            sql.Append($$"""

                  AND conversation_id IN (
                    SELECT conversation_id FROM {{Schema.Events}} WHERE tenant_id = {tenant:String} AND customer_id = {customer:String}
                    UNION DISTINCT
                    SELECT conversation_id FROM {{Schema.Messages}} WHERE tenant_id = {tenant:String} AND sender_kind = 'customer' AND sender_id = {customer:String})
                """);
        }
        if (!string.IsNullOrEmpty(criteria.Agent))
        {
            parameters.Add("agent", criteria.Agent);
            sql.Append($$"""

                  AND conversation_id IN (
                    SELECT conversation_id FROM {{Schema.Events}} WHERE tenant_id = {tenant:String} AND agent_id = {agent:String}
                    UNION DISTINCT
                    SELECT conversation_id FROM {{Schema.Messages}} WHERE tenant_id = {tenant:String} AND sender_kind = 'agent' AND sender_id = {agent:String})
                """);
        }
        sql.Append("\nORDER BY sent_at DESC, conversation_id, seq\nLIMIT {limit:Int64}");
        var rows = await QueryRowsAsync(sql.ToString(), parameters, RowsJsonContext.Default.MessageRow, cancellationToken);
        return new SearchResult(rows.ConvertAll(r => r.ToView()), criteria.From, criteria.To);
    }

    public async Task<StatsReport> StatsAsync(string tenant, StatsCriteria criteria, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters().Add("tenant", tenant).Add("tz", criteria.TimeZone)
            .Add("from", criteria.From.ToUnixTimeMilliseconds()).Add("to", criteria.To.ToUnixTimeMilliseconds());
        var startOf = criteria.Bucket == StatsBucket.Hour ? "toStartOfHour" : "toStartOfDay";
        var (conversationKey, messageKey) = criteria.By switch
        {
            StatsDimension.Agent => ("f.agent", "f.agent"),
            StatsDimension.SkillGroup => ("f.skill_group", "f.skill_group"),
            _ => ("''", "''"),
        };
        // The figures come from the summaries the archive's inserts keep (HistorySchema.Summaries), never from the
        // raw tables: the conversations of the period are a key range of conversation_starts, their facts one row
        // each in conversation_facts, the messages whole 15-minute slots of message_slots plus, for the partial
        // slots at either end, a key range of message_times.
        var conversationFacts = $$"""
            SELECT conversation_id,
                argMaxMerge(agent) AS agent,
                argMaxMerge(skill_group) AS skill_group,
                maxMerge(ended_at) AS ended_at,
                max(ended) AS ended,
                uniqExactMerge(handoffs) AS handoffs,
                uniqExactMerge(transfers) AS transfers,
                max(human) AS human,
                max(bot_state) AS bot_state,
                minMerge(first_customer) AS first_customer,
                minMerge(first_agent) AS first_agent,
                max(asked) AS asked,
                max(answered) AS answered,
                max(bot_spoke) AS bot_spoke
            FROM {{Schema.ConversationFacts}}
            WHERE tenant_id = {tenant:String} AND conversation_id IN (SELECT conversation_id FROM scope)
            GROUP BY conversation_id
            """;
        var conversationsSql = $$"""
            WITH
                scope AS (
                    SELECT conversation_id, min(c.started_at) AS first_started_at
                    FROM {{Schema.ConversationStarts}} AS c
                    WHERE tenant_id = {tenant:String}
                      AND c.started_at >= fromUnixTimestamp64Milli({from:Int64}) AND c.started_at < fromUnixTimestamp64Milli({to:Int64})
                    GROUP BY conversation_id),
                facts AS ({{conversationFacts}})
            SELECT
                toUnixTimestamp({{startOf}}(toDateTime(s.first_started_at), {tz:String})) * 1000 AS bucket_ms,
                {{conversationKey}} AS key,
                count() AS conversations,
                avgIf(dateDiff('millisecond', f.first_customer, f.first_agent), f.asked AND f.answered AND f.first_agent >= f.first_customer) AS first_response_ms,
                avgIf(dateDiff('millisecond', s.first_started_at, f.ended_at), f.ended) AS resolution_ms,
                countIf(f.ended) AS ended,
                countIf(f.ended AND NOT f.human AND (f.bot_state OR f.bot_spoke)) AS bot_resolved,
                sum(f.handoffs) AS handoffs,
                sum(f.transfers) AS transfers
            FROM scope AS s
            LEFT JOIN facts AS f USING (conversation_id)
            GROUP BY bucket_ms, key
            """;
        var (slotsFrom, slotsTo) = WholeSlots(criteria);
        var fromMs = criteria.From.ToUnixTimeMilliseconds();
        var toMs = criteria.To.ToUnixTimeMilliseconds();
        parameters.Add("slots_from", slotsFrom).Add("slots_to", slotsTo)
            .Add("head_to", slotsFrom < slotsTo ? slotsFrom : toMs).Add("tail_from", slotsFrom < slotsTo ? slotsTo : toMs);
        var byConversation = criteria.By != StatsDimension.Tenant;
        var factsOfSent = byConversation
            ? ",\n    scope AS (SELECT DISTINCT conversation_id FROM sent),\n    facts AS (" + conversationFacts + ")"
            : "";
        var joinFacts = byConversation ? "LEFT JOIN facts AS f USING (conversation_id)" : "";
        var messagesSql = $$"""
            WITH
                sent AS (
                    SELECT toDateTime(slot) AS at, conversation_id,
                        groupBitmapMerge(messages) AS messages, groupBitmapMerge(sensitive_word_hits) AS hits
                    FROM {{Schema.MessageSlots}}
                    WHERE tenant_id = {tenant:String}
                      AND slot >= fromUnixTimestamp64Milli({slots_from:Int64}) AND slot < fromUnixTimestamp64Milli({slots_to:Int64})
                    GROUP BY slot, conversation_id
                    UNION ALL
                    SELECT toDateTime(sent_at) AS at, conversation_id,
                        uniqExact(seq) AS messages, uniqExactIf(seq, flagged = 1) AS hits
                    FROM {{Schema.MessageTimes}}
                    WHERE tenant_id = {tenant:String}
                      AND ((sent_at >= fromUnixTimestamp64Milli({from:Int64}) AND sent_at < fromUnixTimestamp64Milli({head_to:Int64}))
                        OR (sent_at >= fromUnixTimestamp64Milli({tail_from:Int64}) AND sent_at < fromUnixTimestamp64Milli({to:Int64})))
                    GROUP BY at, conversation_id){{factsOfSent}}
            SELECT
                toUnixTimestamp({{startOf}}(m.at, {tz:String})) * 1000 AS bucket_ms,
                {{messageKey}} AS key,
                sum(m.messages) AS messages,
                sum(m.hits) AS sensitive_word_hits
            FROM sent AS m
            {{joinFacts}}
            GROUP BY bucket_ms, key
            """;
        var conversations = QueryRowsAsync(conversationsSql, parameters, RowsJsonContext.Default.ConversationFiguresRow, cancellationToken);
        var messages = QueryRowsAsync(messagesSql, parameters, RowsJsonContext.Default.MessageFiguresRow, cancellationToken);
        var rows = StatsMerge.Merge(await conversations, await messages);
        return new StatsReport(criteria.Bucket.ToString().ToLowerInvariant(), StatsMerge.Name(criteria.By), criteria.TimeZone,
            criteria.From, criteria.To, rows);
    }

    public async Task<ConversationExport?> ExportAsync(string tenant, string conversation, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters().Add("tenant", tenant).Add("conversation", conversation);
        var events = await QueryRowsAsync($$"""
            SELECT {{EventColumns}}
            FROM {{Schema.Events}} FINAL
            WHERE tenant_id = {tenant:String} AND conversation_id = {conversation:String}
            ORDER BY occurred_at, event_id
            """, parameters, RowsJsonContext.Default.EventRow, cancellationToken);
        var messages = await QueryRowsAsync($$"""
            SELECT {{MessageColumns}}
            FROM {{Schema.Messages}} FINAL
            WHERE tenant_id = {tenant:String} AND conversation_id = {conversation:String} AND {{Retained}}
            ORDER BY seq
            """, parameters, RowsJsonContext.Default.MessageRow, cancellationToken);
        if (events.Count == 0 && messages.Count == 0) return null;
        return new ConversationExport(tenant, conversation, time.GetUtcNow(), events.ConvertAll(e => e.ToView()), messages.ConvertAll(m => m.ToView()));
    }

    /// <summary>The tenant's parked messages, newest first, <paramref name="limit"/> at a time, older than <paramref name="before"/>.</summary>
    public async Task<ParkedPage> ParkedAsync(string tenant, int limit, ParkedCursor? before, CancellationToken cancellationToken)
    {
        var parameters = new QueryParameters().Add("tenant", tenant).Add("limit", limit + 1);
        var after = "";
        if (before is { } cursor)
        {
            parameters.Add("at", cursor.ParkedAtMs).Add("stream", cursor.Id.Stream).Add("seq", (long)cursor.Id.StreamSeq);
            after = "\n  AND (parked_at, stream, stream_seq) < (fromUnixTimestamp64Milli({at:Int64}), {stream:String}, toUInt64({seq:Int64}))";
        }
        var rows = await QueryRowsAsync($$"""
            SELECT {{ParkedColumns}}
            FROM {{Schema.Parked}} FINAL
            WHERE tenant_id = {tenant:String}{{after}}
            ORDER BY parked_at DESC, stream DESC, stream_seq DESC
            LIMIT {limit:Int64}
            """, parameters, RowsJsonContext.Default.ParkedRow, cancellationToken);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(limit);
        var next = more ? new ParkedCursor(rows[^1].ParkedAtMs, rows[^1].Id).ToString() : null;
        return new ParkedPage(rows.ConvertAll(r => r.ToView()), next);
    }

    /// <summary>One parked message of the tenant, or null when it has none by that id.</summary>
    public async Task<ParkedRow?> ParkedAsync(string tenant, ParkedId id, CancellationToken cancellationToken)
    {
        var rows = await QueryRowsAsync($$"""
            SELECT {{ParkedColumns}}
            FROM {{Schema.Parked}} FINAL
            WHERE tenant_id = {tenant:String} AND stream = {stream:String} AND stream_seq = toUInt64({seq:Int64})
            """, new QueryParameters().Add("tenant", tenant).Add("stream", id.Stream).Add("seq", (long)id.StreamSeq),
            RowsJsonContext.Default.ParkedRow, cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    private const string ParkedColumns =
        "toUnixTimestamp64Milli(parked_at) AS parked_at_ms, stream, subject, stream_seq, reason, base64Encode(payload) AS payload_base64";

    /// <summary>
    /// The whole 15-minute slots of the period, as epoch milliseconds [from, to), read from message_slots; the rest
    /// of the period (its partial first and last slot) is read from message_times. Empty (the whole period from
    /// message_times) when a slot could straddle a bucket: a zone whose offset in the period is not a multiple of
    /// 15 minutes (historical local mean times), or a period outside the years the slot arithmetic covers.
    /// </summary>
    internal static (long From, long To) WholeSlots(StatsCriteria criteria)
    {
        var slot = (long)HistorySchema.SlotWidth.TotalMilliseconds;
        var from = criteria.From.ToUnixTimeMilliseconds();
        var to = criteria.To.ToUnixTimeMilliseconds();
        var first = from < 0 ? from : (from + slot - 1) / slot * slot;
        var last = to < 0 ? to : to / slot * slot;
        if (from < 0 || criteria.To.Year >= 2100 || first >= last || !OffsetsAreWholeSlots(criteria)) return (from, from);
        return (first, last);
    }

    private static bool OffsetsAreWholeSlots(StatsCriteria criteria)
    {
        if (criteria.TimeZone == "UTC") return true;
        static bool Whole(TimeSpan offset) => offset.Ticks % HistorySchema.SlotWidth.Ticks == 0;
        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(criteria.TimeZone);
            if (!Whole(zone.BaseUtcOffset) || !Whole(zone.GetUtcOffset(criteria.From)) || !Whole(zone.GetUtcOffset(criteria.To))) return false;
            foreach (var rule in zone.GetAdjustmentRules())
            {
                if (rule.DateEnd < criteria.From.UtcDateTime.Date.AddDays(-1) || rule.DateStart > criteria.To.UtcDateTime.Date.AddDays(1)) continue;
                if (!Whole(rule.DaylightDelta) || !Whole(rule.BaseUtcOffsetDelta) || !Whole(zone.BaseUtcOffset + rule.BaseUtcOffsetDelta)) return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    private Task<HashSet<string>>? _timeZones;

    /// <summary>
    /// The engine's name of a time zone: the name itself when the engine knows it (IANA names), else the IANA zone of a
    /// Windows name; null when neither. .NET alone is no judge: it takes Windows names the engine refuses.
    /// </summary>
    public async Task<string?> TimeZoneAsync(string name, CancellationToken cancellationToken)
    {
        if (name.Length is 0 or > 64) return null;
        var known = _timeZones is { IsCompletedSuccessfully: true } loaded ? loaded.Result : await LoadTimeZonesAsync(cancellationToken);
        if (known.Contains(name)) return name;
        return TimeZoneInfo.TryConvertWindowsIdToIanaId(name, out var iana) && known.Contains(iana) ? iana : null;
    }

    private async Task<HashSet<string>> LoadTimeZonesAsync(CancellationToken cancellationToken)
    {
        var load = _timeZones;
        if (load is null || load.IsFaulted || load.IsCanceled)
        {
            load = ReadTimeZonesAsync();
            _timeZones = load;
        }
        return await load.WaitAsync(cancellationToken);
    }

    private async Task<HashSet<string>> ReadTimeZonesAsync()
    {
        var rows = await QueryRowsAsync("SELECT time_zone AS name FROM system.time_zones", new QueryParameters(), RowsJsonContext.Default.TimeZoneRow,
            CancellationToken.None);
        return rows.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
    }

    private async Task<List<T>> QueryRowsAsync<T>(string sql, QueryParameters parameters, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(queryTimeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await store.ReadyAsync(deadline.Token);
            return await store.Database.QueryAsync(sql + _limits, parameters, json =>
            {
                var rows = new List<T>();
                foreach (var line in new JsonLines(json)) rows.Add(JsonSerializer.Deserialize(line, type)!);
                return rows;
            }, deadline.Token);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new HistoryQueryTimeoutException(queryTimeout, ex);
        }
        catch (HistoryStoreRejectedException ex) when (ex.Code == ClickHouseErrorCode.TimeoutExceeded)
        {
            throw new HistoryQueryTimeoutException(queryTimeout, ex);
        }
    }

    internal static string EscapeLike(string text)
    {
        var builder = new StringBuilder(text.Length + 4);
        foreach (var c in text)
        {
            if (c is '\\' or '%' or '_') builder.Append('\\');
            builder.Append(c);
        }
        return builder.ToString();
    }
}
