using System.Diagnostics.Metrics;

namespace CustomerService.Bot;

/// <summary>The bot's counters on the platform meter, each tagged with the tenant.</summary>
public sealed class BotMetrics
{
    public const string MeterName = "CustomerService";

    private readonly Counter<long> _answeredByRule;
    private readonly Counter<long> _answeredByModel;
    private readonly Counter<long> _handedOff;
    private readonly Histogram<double> _handlingTime;

    public BotMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _answeredByRule = meter.CreateCounter<long>("cs.bot.answered_by_rule", "{message}", "Customer messages answered by a rule or a canned answer");
        _answeredByModel = meter.CreateCounter<long>("cs.bot.answered_by_model", "{message}", "Customer messages answered by the predictor");
        _handedOff = meter.CreateCounter<long>("cs.bot.handed_off", "{conversation}", "Conversations handed to a human, by reason");
        _handlingTime = meter.CreateHistogram<double>("cs.bot.handling_time", "s", "From receiving a customer message to Session taking the bot's reply");
    }

    public void Record(string tenantId, BotDecision decision, TimeSpan handlingTime)
    {
        var tenant = new KeyValuePair<string, object?>("tenant", tenantId);
        foreach (var reply in decision.Replies)
        {
            if (reply.Kind is ReplyKind.Rule or ReplyKind.Canned) _answeredByRule.Add(1, tenant);
            else if (reply.Kind is ReplyKind.Model) _answeredByModel.Add(1, tenant, new KeyValuePair<string, object?>("predictor", reply.Source));
        }
        if (decision.Handoff is { } handoff) _handedOff.Add(1, tenant, new KeyValuePair<string, object?>("reason", handoff.Reason));
        _handlingTime.Record(handlingTime.TotalSeconds, tenant);
    }
}
