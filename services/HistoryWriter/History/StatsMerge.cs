namespace CustomerService.HistoryWriter.History;

/// <summary>Joins the per-conversation and per-message figures of each (bucket, key) into one row.</summary>
internal static class StatsMerge
{
    public static List<StatsRow> Merge(List<ConversationFiguresRow> conversations, List<MessageFiguresRow> messages)
    {
        var merged = new Dictionary<(long Bucket, string Key), StatsRow>();
        foreach (var c in conversations)
        {
            merged[(c.BucketMs, c.Key)] = new StatsRow(DateTimeOffset.FromUnixTimeMilliseconds(c.BucketMs), c.Key, c.Conversations, 0,
                c.FirstResponseMs / 1000, c.ResolutionMs / 1000, c.Ended, c.BotResolved,
                c.Ended > 0 ? (double)c.BotResolved / c.Ended : null, c.Handoffs, c.Transfers, 0);
        }
        foreach (var m in messages)
        {
            merged[(m.BucketMs, m.Key)] = merged.TryGetValue((m.BucketMs, m.Key), out var row)
                ? row with { Messages = m.Messages, SensitiveWordHits = m.SensitiveWordHits }
                : new StatsRow(DateTimeOffset.FromUnixTimeMilliseconds(m.BucketMs), m.Key, 0, m.Messages, null, null, 0, 0, null, 0, 0,
                    m.SensitiveWordHits);
        }
        return [.. merged.OrderBy(r => r.Key.Bucket).ThenBy(r => r.Key.Key, StringComparer.Ordinal).Select(r => r.Value)];
    }

    public static string Name(StatsDimension dimension) => dimension switch
    {
        StatsDimension.Agent => "agent",
        StatsDimension.SkillGroup => "skill_group",
        _ => "tenant",
    };
}
