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

    public async Task EnsureAsync(IHistoryDatabase database, CancellationToken cancellationToken)
    {
        foreach (var statement in Statements()) await database.ExecuteAsync(statement, null, cancellationToken);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();
}
