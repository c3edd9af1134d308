using System.ComponentModel.DataAnnotations;

namespace CustomerService.HistoryWriter;

/// <summary>Configuration section "History".</summary>
public sealed class HistoryOptions
{
    public const string Section = "History";

    /// <summary>libchdb.so to load; when empty, eng/chdb/node_modules/... is looked for above the binaries.</summary>
    public string? ChdbLibrary { get; set; }

    /// <summary>Where the embedded engine keeps its data; default .data/history under the content root.</summary>
    public string? DataDir { get; set; }

    /// <summary>The ClickHouse database that holds the history tables.</summary>
    [Required, RegularExpression("^[A-Za-z_][A-Za-z0-9_]*$")]
    public string Database { get; set; } = "history";

    /// <summary>A batch is stored when it holds this many messages ...</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// ... or when its first message has waited this long, whichever comes first. Every insert makes a part in four
    /// tables (messages and the BI summaries) that the engine merges again in the background: at 200 ms the merges were
    /// 44% of HistoryWriter's CPU under load, and 1 s took its CPU down by a third (docs/performance.md, session 7).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages JetStream hands out before it waits for acks; more than a few batches keep the pipe full.</summary>
    [Range(1, 1_000_000)]
    public int MaxAckPending { get; set; } = 40_000;

    /// <summary>
    /// How long JetStream waits for an ack before it delivers a message again. After a crash, what was delivered and
    /// not acked comes back after this; a batch that takes longer to store is delivered twice (and stored once).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Prefix of the durable consumer names (prefix-messages, prefix-events).</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]+$")]
    public string ConsumerName { get; set; } = "history";

    /// <summary>
    /// Longest a history query may run (the engine stops it: max_execution_time) or wait for its turn on the embedded
    /// engine; past it the API answers 504. Bounds how long one tenant's query holds the engine from archiving and from
    /// every other tenant's queries.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The widest period one search covers (from to to); a wider one is a 400.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3660.00:00:00")]
    public TimeSpan SearchMaxRange { get; set; } = TimeSpan.FromDays(92);

    /// <summary>How long a tenant's history is kept unless an admin sets otherwise.</summary>
    [Range(1, 36_500)]
    public int DefaultRetentionDays { get; set; } = 365;

    /// <summary>How often the archive's backlog is checked against the streams' limits (ArchiveBacklogWatch).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan BacklogCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
