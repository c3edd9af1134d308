using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// The BI figures computed the plain way, in memory, from the messages and events a test generated: what the SQL
/// of HistoryQueries must agree with (definitions in docs/history.md).
/// </summary>
internal static class StatsOracle
{
    public static List<StatsRow> Compute(HistoryData data, string tenant, DateTimeOffset from, DateTimeOffset to, StatsBucket bucket,
        StatsDimension by, TimeZoneInfo zone)
    {
        var messages = data.Messages.Where(m => m.TenantId == tenant).DistinctBy(m => m.MessageId).ToList();
        var events = data.Events.Where(e => e.TenantId == tenant).DistinctBy(e => e.EventId).ToList();
        var eventsOf = events.ToLookup(e => e.ConversationId);
        var messagesOf = messages.ToLookup(m => m.ConversationId);

        string KeyOf(string conversation)
        {
            var es = eventsOf[conversation].OrderBy(e => e.OccurredAtUnixMs).ToList();
            return by switch
            {
                StatsDimension.Agent => es.Where(e => AgentOf(e) != "").Select(AgentOf).LastOrDefault() ?? "",
                StatsDimension.SkillGroup => es.Where(e => SkillOf(e) != "").Select(SkillOf).LastOrDefault() ?? "",
                _ => "",
            };
        }

        long BucketOf(long ms)
        {
            var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), zone);
            var start = bucket == StatsBucket.Hour
                ? new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0)
                : new DateTime(local.Year, local.Month, local.Day);
            return new DateTimeOffset(start, zone.GetUtcOffset(start)).ToUnixTimeMilliseconds();
        }

        var rows = new Dictionary<(long, string), StatsRow>();
        StatsRow Row(long b, string key) => rows.TryGetValue((b, key), out var r) ? r
            : new StatsRow(DateTimeOffset.FromUnixTimeMilliseconds(b), key, 0, 0, null, null, 0, 0, null, 0, 0, 0);

        var started = events.Where(e => e.KindCase == ConversationEvent.KindOneofCase.Started)
            .GroupBy(e => e.ConversationId)
            .Select(g => (Conversation: g.Key, At: g.Min(e => e.OccurredAtUnixMs)))
            .Where(s => s.At >= from.ToUnixTimeMilliseconds() && s.At < to.ToUnixTimeMilliseconds());
        var figures = new Dictionary<(long, string), List<(double? Frt, double? Res, bool Ended, bool Bot, int Handoffs, int Transfers)>>();
        foreach (var (conversation, at) in started)
        {
            var es = eventsOf[conversation].ToList();
            var ms = messagesOf[conversation].ToList();
            var firstCustomer = ms.Where(m => m.Sender.Kind == ParticipantKind.Customer).Select(m => (long?)m.SentAtUnixMs).Min();
            var firstAgent = ms.Where(m => m.Sender.Kind == ParticipantKind.Agent).Select(m => (long?)m.SentAtUnixMs).Min();
            double? frt = firstCustomer is not null && firstAgent is not null && firstAgent >= firstCustomer ? firstAgent - firstCustomer : null;
            var endedAt = es.Where(e => e.KindCase == ConversationEvent.KindOneofCase.Ended).Select(e => (long?)e.OccurredAtUnixMs).Max();
            var human = es.Any(e => e.KindCase is ConversationEvent.KindOneofCase.Queued or ConversationEvent.KindOneofCase.Assigned
                or ConversationEvent.KindOneofCase.Handoff);
            var botTookPart = es.Any(e => e.State == ConversationState.Bot) || ms.Any(m => m.Sender.Kind == ParticipantKind.Bot);
            var key = (BucketOf(at), KeyOf(conversation));
            if (!figures.TryGetValue(key, out var list)) figures[key] = list = [];
            list.Add((frt, endedAt - at, endedAt is not null, endedAt is not null && !human && botTookPart,
                es.Count(e => e.KindCase == ConversationEvent.KindOneofCase.Handoff),
                es.Count(e => e.KindCase == ConversationEvent.KindOneofCase.Transferred)));
        }
        foreach (var ((b, key), list) in figures)
        {
            var frts = list.Where(f => f.Frt is not null).Select(f => f.Frt!.Value).ToList();
            var resolutions = list.Where(f => f.Ended).Select(f => f.Res!.Value).ToList();
            var ended = list.Count(f => f.Ended);
            var bot = list.Count(f => f.Bot);
            rows[(b, key)] = Row(b, key) with
            {
                Conversations = list.Count,
                AvgFirstResponseSeconds = frts.Count > 0 ? frts.Average() / 1000 : null,
                AvgResolutionSeconds = resolutions.Count > 0 ? resolutions.Average() / 1000 : null,
                Ended = ended,
                BotResolved = bot,
                BotResolvedShare = ended > 0 ? (double)bot / ended : null,
                Handoffs = list.Sum(f => f.Handoffs),
                Transfers = list.Sum(f => f.Transfers),
            };
        }
        foreach (var group in messages.Where(m => m.SentAtUnixMs >= from.ToUnixTimeMilliseconds() && m.SentAtUnixMs < to.ToUnixTimeMilliseconds())
                     .GroupBy(m => (BucketOf(m.SentAtUnixMs), KeyOf(m.ConversationId))))
        {
            rows[group.Key] = Row(group.Key.Item1, group.Key.Item2) with
            {
                Messages = group.Count(),
                SensitiveWordHits = group.Count(m => m.Metadata.ContainsKey("risk.flagged") || m.Metadata.ContainsKey("risk.masked")),
            };
        }
        return [.. rows.OrderBy(r => r.Key.Item1).ThenBy(r => r.Key.Item2, StringComparer.Ordinal).Select(r => r.Value)];
    }

    private static string AgentOf(ConversationEvent e) => e.KindCase switch
    {
        ConversationEvent.KindOneofCase.Assigned => e.Assigned.AgentId,
        ConversationEvent.KindOneofCase.Transferred => e.Transferred.ToAgentId,
        ConversationEvent.KindOneofCase.Activated => e.Activated.AgentId,
        _ => "",
    };

    private static string SkillOf(ConversationEvent e) => e.KindCase switch
    {
        ConversationEvent.KindOneofCase.Started => e.Started.SkillGroup,
        ConversationEvent.KindOneofCase.Queued => e.Queued.SkillGroup,
        ConversationEvent.KindOneofCase.Assigned => e.Assigned.SkillGroup,
        ConversationEvent.KindOneofCase.Transferred => e.Transferred.ToSkillGroup,
        _ => "",
    };
}
