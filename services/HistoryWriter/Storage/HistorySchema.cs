using System.Text.RegularExpressions;

namespace CustomerService.HistoryWriter.Storage;

/// <summary>
/// The one schema of history, for both ways of reaching ClickHouse (docs/history.md explains each choice and gives
/// the sharded-cluster form). Table names are qualified with the configured database so that several databases can
/// share one engine (tests do) without any per-connection state.
/// </summary>
internal sealed partial class HistorySchema
{
    public HistorySchema(string database)
    {
        if (!IdentifierPattern().IsMatch(database))
            throw new ArgumentException($"'{database}' is not a plain ClickHouse identifier ([A-Za-z_][A-Za-z0-9_]*)", nameof(database));
        Database = database;
    }

    public string Database { get; }
    public string Messages => $"{Database}.messages";
    public string Events => $"{Database}.conversation_events";
    public string Retention => $"{Database}.tenant_retention";
    public string Parked => $"{Database}.parked";

    // BI summaries, filled at insert time by materialized views on messages and conversation_events (docs/history.md).
    public string ConversationFacts => $"{Database}.conversation_facts";
    public string ConversationStarts => $"{Database}.conversation_starts";
    public string MessageSlots => $"{Database}.message_slots";
    public string MessageTimes => $"{Database}.message_times";
    public string SummaryBackfills => $"{Database}.summary_backfills";

    /// <summary>Every table that carries retention_days (a retention change rewrites the column in each).</summary>
    public IReadOnlyList<string> RetainedTables => [Messages, Events, ConversationFacts, ConversationStarts, MessageSlots, MessageTimes];

    /// <summary>Tables whose rows the archive's inserts derive (the benchmark empties them with the source tables).</summary>
    public IReadOnlyList<string> SummaryTables => [ConversationFacts, ConversationStarts, MessageSlots, MessageTimes];

    /// <summary>Width of a <see cref="MessageSlots"/> slot. Every time zone offset in use is a multiple of it.</summary>
    public static readonly TimeSpan SlotWidth = TimeSpan.FromMinutes(15);

    /// <summary>Columns an archived ChatMessage fills, in the order <see cref="Archive.MessageRows"/> writes them.</summary>
    public const string MessageColumns =
        "tenant_id, conversation_id, seq, message_id, sender_kind, sender_id, sender_name, text, sent_at, metadata, quick_replies, retention_days, archived_at";

    /// <summary>Columns an archived ConversationEvent fills, in the order <see cref="Archive.EventRows"/> writes them.</summary>
    public const string EventColumns =
        "tenant_id, conversation_id, event_id, kind, state, occurred_at, customer_id, customer_name, agent_id, agent_name, skill_group, " +
        "from_agent_id, reason, ended_by, entry_page, language, queue_position, retention_days, archived_at";

    public const string ParkedColumns = "parked_at, stream, subject, stream_seq, tenant_id, reason, payload";

    public IEnumerable<string> Statements()
    {
        yield return $"CREATE DATABASE IF NOT EXISTS {Database}";

        // Session marks a message that hit sensitive words with metadata risk.flagged or risk.masked (the words,
        // comma-separated); the BI figures count those. ReplacingMergeTree keyed by the message's identity: a redelivered message is the same row and merges into
        // one; queries read with FINAL so that they see it once before the merge too. The tenant leads the key so
        // that every query, always scoped to one tenant, reads only that tenant's ranges.
        yield return $"""
            CREATE TABLE IF NOT EXISTS {Messages}
            (
                tenant_id LowCardinality(String),
                conversation_id String,
                seq Int64,
                message_id String,
                sender_kind LowCardinality(String),
                sender_id String,
                sender_name String,
                text String,
                sent_at DateTime64(3, 'UTC'),
                metadata Map(String, String),
                quick_replies Array(Tuple(title String, payload String)),
                retention_days UInt16,
                archived_at DateTime64(3, 'UTC'),
                sensitive_words Array(String) MATERIALIZED
                    arrayFilter(w -> w != '', splitByChar(',', concat(metadata['risk.flagged'], ',', metadata['risk.masked']))),
                INDEX text_ngrams lowerUTF8(text) TYPE ngrambf_v1(2, 32768, 2, 0) GRANULARITY 1,
                INDEX sender sender_id TYPE bloom_filter(0.01) GRANULARITY 4,
                CONSTRAINT seq_positive CHECK seq > 0,
                CONSTRAINT text_bounded CHECK length(text) <= 65536
            )
            ENGINE = ReplacingMergeTree
            PARTITION BY toYYYYMM(sent_at)
            ORDER BY (tenant_id, conversation_id, seq, message_id)
            TTL toDateTime(sent_at) + toIntervalDay(retention_days)
            """;

        yield return $"""
            CREATE TABLE IF NOT EXISTS {Events}
            (
                tenant_id LowCardinality(String),
                conversation_id String,
                event_id String,
                kind LowCardinality(String),
                state LowCardinality(String),
                occurred_at DateTime64(3, 'UTC'),
                customer_id String,
                customer_name String,
                agent_id String,
                agent_name String,
                skill_group LowCardinality(String),
                from_agent_id String,
                reason String,
                ended_by String,
                entry_page String,
                language LowCardinality(String),
                queue_position Int32,
                retention_days UInt16,
                archived_at DateTime64(3, 'UTC'),
                INDEX customer customer_id TYPE bloom_filter(0.01) GRANULARITY 4,
                INDEX agent agent_id TYPE bloom_filter(0.01) GRANULARITY 4
            )
            ENGINE = ReplacingMergeTree
            PARTITION BY toYYYYMM(occurred_at)
            ORDER BY (tenant_id, conversation_id, occurred_at, event_id)
            TTL toDateTime(occurred_at) + toIntervalDay(retention_days)
            """;

        yield return $"""
            CREATE TABLE IF NOT EXISTS {Retention}
            (
                tenant_id String,
                days UInt16,
                updated_at DateTime64(3, 'UTC')
            )
            ENGINE = ReplacingMergeTree(updated_at)
            ORDER BY tenant_id
            """;

        // Keyed by stream position: a poison message parked again after a crash (before its ack) is still one row.
        yield return $"""
            CREATE TABLE IF NOT EXISTS {Parked}
            (
                parked_at DateTime64(3, 'UTC'),
                stream LowCardinality(String),
                subject String,
                stream_seq UInt64,
                tenant_id LowCardinality(String),
                reason String,
                payload String
            )
            ENGINE = ReplacingMergeTree
            PARTITION BY toYYYYMM(parked_at)
            ORDER BY (tenant_id, stream, stream_seq)
            TTL toDateTime(parked_at) + INTERVAL 90 DAY
            """;
    }

    /// <summary>
    /// The summaries the BI queries read instead of the raw tables, each with the views that fill it on every insert
    /// into messages or conversation_events. Every figure kept is idempotent (min, max, argMax, uniqExact of an event
    /// id, a bitmap of message seqs; message_times is read with uniqExact of the seq): a redelivered message or event, inserted again, adds
    /// nothing, before or after merges, so the summaries need neither FINAL nor knowledge of what is already stored.
    /// </summary>
    public IEnumerable<Summary> Summaries()
    {
        // One row per conversation: who handled it, how it ended, when the first customer and agent messages came.
        // Fed by both sources; each view leaves the other's columns at their empty state, which merges as nothing.
        yield return new Summary(ConversationFacts, $"""
            CREATE TABLE IF NOT EXISTS {ConversationFacts}
            (
                tenant_id LowCardinality(String),
                conversation_id String,
                agent AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
                skill_group AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
                ended_at AggregateFunction(max, DateTime64(3, 'UTC')),
                ended SimpleAggregateFunction(max, UInt8),
                handoffs AggregateFunction(uniqExact, String),
                transfers AggregateFunction(uniqExact, String),
                human SimpleAggregateFunction(max, UInt8),
                bot_state SimpleAggregateFunction(max, UInt8),
                first_customer AggregateFunction(min, DateTime64(3, 'UTC')),
                first_agent AggregateFunction(min, DateTime64(3, 'UTC')),
                asked SimpleAggregateFunction(max, UInt8),
                answered SimpleAggregateFunction(max, UInt8),
                bot_spoke SimpleAggregateFunction(max, UInt8),
                last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
                retention_days SimpleAggregateFunction(max, UInt16)
            )
            ENGINE = AggregatingMergeTree
            ORDER BY (tenant_id, conversation_id)
            TTL toDateTime(last_at) + toIntervalDay(retention_days)
            """,
            [
                ("events_to_conversation_facts", "tenant_id, conversation_id, agent, skill_group, ended_at, ended, handoffs, transfers, human, bot_state, last_at, retention_days", $"""
                    SELECT tenant_id, conversation_id,
                        argMaxStateIf(agent_id, occurred_at, agent_id != '' AND kind IN ('assigned', 'transferred', 'activated')) AS agent,
                        argMaxStateIf(toString(skill_group), occurred_at, skill_group != '') AS skill_group,
                        maxStateIf(occurred_at, kind = 'ended') AS ended_at,
                        max(toUInt8(kind = 'ended')) AS ended,
                        uniqExactStateIf(event_id, kind = 'handoff') AS handoffs,
                        uniqExactStateIf(event_id, kind = 'transferred') AS transfers,
                        max(toUInt8(kind IN ('queued', 'assigned', 'handoff'))) AS human,
                        max(toUInt8(state = 'bot')) AS bot_state,
                        max(occurred_at) AS last_at,
                        max(retention_days) AS retention_days
                    FROM {Events}
                    GROUP BY tenant_id, conversation_id
                    """),
                ("messages_to_conversation_facts", "tenant_id, conversation_id, first_customer, first_agent, asked, answered, bot_spoke, last_at, retention_days", $"""
                    SELECT tenant_id, conversation_id,
                        minStateIf(sent_at, sender_kind = 'customer') AS first_customer,
                        minStateIf(sent_at, sender_kind = 'agent') AS first_agent,
                        max(toUInt8(sender_kind = 'customer')) AS asked,
                        max(toUInt8(sender_kind = 'agent')) AS answered,
                        max(toUInt8(sender_kind = 'bot')) AS bot_spoke,
                        max(sent_at) AS last_at,
                        max(retention_days) AS retention_days
                    FROM {Messages}
                    GROUP BY tenant_id, conversation_id
                    """),
            ]);

        // The started events by time: the conversations of a period are a key range, not a scan of the tenant.
        yield return new Summary(ConversationStarts, $"""
            CREATE TABLE IF NOT EXISTS {ConversationStarts}
            (
                tenant_id LowCardinality(String),
                started_at DateTime64(3, 'UTC'),
                conversation_id String,
                retention_days UInt16
            )
            ENGINE = ReplacingMergeTree
            PARTITION BY toYYYYMM(started_at)
            ORDER BY (tenant_id, started_at, conversation_id)
            TTL toDateTime(started_at) + toIntervalDay(retention_days)
            """,
            [
                ("events_to_conversation_starts", "tenant_id, started_at, conversation_id, retention_days", $"""
                    SELECT tenant_id, occurred_at AS started_at, conversation_id, retention_days
                    FROM {Events}
                    WHERE kind = 'started'
                    """),
            ]);

        // Messages per conversation and 15-minute slot (UTC), as bitmaps of their seqs: a message is its seq in its
        // conversation (Session numbers each message once; a redelivery carries the same seq), so a bitmap counts each
        // once however often it is stored, and stays small (a conversation's seqs are runs). Hour and day buckets in
        // any zone whose offset is a multiple of 15 minutes are unions of whole slots.
        yield return new Summary(MessageSlots, $"""
            CREATE TABLE IF NOT EXISTS {MessageSlots}
            (
                tenant_id LowCardinality(String),
                slot DateTime64(3, 'UTC'),
                conversation_id String,
                messages AggregateFunction(groupBitmap, UInt64),
                sensitive_word_hits AggregateFunction(groupBitmap, UInt64),
                retention_days SimpleAggregateFunction(max, UInt16)
            )
            ENGINE = AggregatingMergeTree
            PARTITION BY toYYYYMM(slot)
            ORDER BY (tenant_id, slot, conversation_id)
            TTL toDateTime(slot) + toIntervalDay(retention_days)
            """,
            [
                ("messages_to_message_slots", "tenant_id, slot, conversation_id, messages, sensitive_word_hits, retention_days", $"""
                    SELECT tenant_id, toStartOfFifteenMinutes(sent_at) AS slot, conversation_id,
                        groupBitmapState(toUInt64(seq)) AS messages,
                        groupBitmapStateIf(toUInt64(seq), notEmpty(sensitive_words)) AS sensitive_word_hits,
                        max(retention_days) AS retention_days
                    FROM {Messages}
                    GROUP BY tenant_id, slot, conversation_id
                    """),
            ]);

        // Messages by time, narrow: the partial slots at either end of a period (a report of the last 24 hours
        // starts and ends mid-slot) are a short key range here. Duplicates stay as rows; reads count distinct seqs.
        yield return new Summary(MessageTimes, $"""
            CREATE TABLE IF NOT EXISTS {MessageTimes}
            (
                tenant_id LowCardinality(String),
                sent_at DateTime64(3, 'UTC'),
                conversation_id String,
                seq Int64,
                flagged UInt8,
                retention_days UInt16
            )
            ENGINE = MergeTree
            PARTITION BY toYYYYMM(sent_at)
            ORDER BY (tenant_id, sent_at, conversation_id)
            TTL toDateTime(sent_at) + toIntervalDay(retention_days)
            """,
            [
                ("messages_to_message_times", "tenant_id, sent_at, conversation_id, seq, flagged, retention_days", $"""
                    SELECT tenant_id, sent_at, conversation_id, seq, toUInt8(notEmpty(sensitive_words)) AS flagged, retention_days
                    FROM {Messages}
                    """),
            ]);
    }

    public async Task EnsureAsync(IHistoryDatabase database, CancellationToken cancellationToken)
    {
        foreach (var statement in Statements()) await database.ExecuteAsync(statement, null, cancellationToken);
        await database.ExecuteAsync($"""
            CREATE TABLE IF NOT EXISTS {SummaryBackfills} (summary String, done_at DateTime64(3, 'UTC'))
            ENGINE = ReplacingMergeTree(done_at) ORDER BY summary
            """, null, cancellationToken);
        var done = await database.QueryAsync($"SELECT DISTINCT summary FROM {SummaryBackfills}", null, json =>
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in new JsonLines(json))
            {
                var reader = new System.Text.Json.Utf8JsonReader(line);
                while (reader.Read())
                    if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.ValueTextEquals("summary"u8) && reader.Read())
                        names.Add(reader.GetString()!);
            }
            return names;
        }, cancellationToken);
        foreach (var summary in Summaries())
        {
            await database.ExecuteAsync(summary.Create, null, cancellationToken);
            foreach (var (view, _, select) in summary.Views)
                await database.ExecuteAsync($"CREATE MATERIALIZED VIEW IF NOT EXISTS {Database}.{view} TO {summary.Table} AS\n{select}", null,
                    cancellationToken);
            // History stored before the summary existed is summarised once, from the source tables. The views are
            // already in place, so rows archived meanwhile land in both ways; the figures are idempotent, and a
            // backfill cut short by a crash is simply run again at the next start.
            if (done.Contains(summary.Table)) continue;
            foreach (var (_, columns, select) in summary.Views)
                await database.ExecuteAsync($"INSERT INTO {summary.Table} ({columns})\n{select}", null, cancellationToken);
            await database.ExecuteAsync($"INSERT INTO {SummaryBackfills} (summary, done_at) SELECT {{summary:String}}, now64(3)",
                new QueryParameters().Add("summary", summary.Table), cancellationToken);
        }
    }

    /// <summary>A summary table and the materialized views (name, columns filled, SELECT over a source table) that fill it.</summary>
    internal sealed record Summary(string Table, string Create, IReadOnlyList<(string View, string Columns, string Select)> Views);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex IdentifierPattern();
}
