using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerService.ChatLoad.Scenarios;

/// <summary>The journeys a profile can mix (docs/loadtests.md, Scenarios).</summary>
public enum ScenarioKind
{
    /// <summary>A customer opens a conversation, is assigned an agent and chats with it (the tool's one journey before mixes).</summary>
    Chat,
    /// <summary>A visitor of a bot-first tenant asks the bot a question, gets its answer, asks for a person, is handed to an agent, chats.</summary>
    BotHandoff,
    /// <summary>A customer whose socket drops mid-conversation comes back with the same visitor id, resumes from its last seq and goes on.</summary>
    ReturningVisitor,
    /// <summary>The agent transfers the customer's conversation to another agent mid-chat; the customer keeps chatting.</summary>
    Transfer,
    /// <summary>Staff: reads history, search and reports (BI) through the gateway at a rate.</summary>
    Supervisor,
    /// <summary>Staff: an admin changes a routing rule mid-run; conversations opened after it follow it.</summary>
    AdminRuleChange,
}

/// <summary>
/// One entry of a profile's <c>scenarios</c> array. Customer journeys (<c>chat</c>, <c>bot-handoff</c>,
/// <c>returning-visitor</c>, <c>transfer</c>) share the profile's customers by <c>weight</c>; staff scenarios have no
/// weight: a supervisor reads at <c>rate</c> requests per second, an admin changes its rule <c>at</c> seconds into
/// the phases. Mid-run events of customer journeys (a drop, a transfer) are spread over the window <c>from</c>..<c>to</c>
/// (fractions of the phases' length, default 0.2..0.8).
/// </summary>
public sealed record ScenarioEntry
{
    public ScenarioKind Name { get; init; }
    public double? Weight { get; init; }
    /// <summary>supervisor: reads per second (history, search and report in turn).</summary>
    public double? Rate { get; init; }
    /// <summary>admin-rule-change: seconds since the first phase started.</summary>
    public double? At { get; init; }
    /// <summary>returning-visitor, transfer: the mid-run events fall between these fractions of the phases' length.</summary>
    public double? From { get; init; }
    public double? To { get; init; }
    /// <summary>returning-visitor: how long the visitor stays away before it reconnects (default 1,000 ms).</summary>
    public int? AwayMs { get; init; }

    public const double DefaultFrom = 0.2, DefaultTo = 0.8;
    public const int DefaultAwayMs = 1000;

    [JsonIgnore]
    public string KindName => NameOf(Name);

    [JsonIgnore]
    public bool IsCustomerJourney => IsCustomer(Name);

    public static string NameOf(ScenarioKind kind) => JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());

    public static bool IsCustomer(ScenarioKind kind) => kind is ScenarioKind.Chat or ScenarioKind.BotHandoff or ScenarioKind.ReturningVisitor or ScenarioKind.Transfer;

    /// <summary>What is wrong with this entry in a profile of <paramref name="duration"/> seconds, each naming its field.</summary>
    public IEnumerable<string> Validate(double duration)
    {
        if (IsCustomerJourney)
        {
            if (Weight is not { } w) yield return $"weight is required for {KindName} (its share of the customers, positive)";
            else if (!(w > 0) || double.IsInfinity(w)) yield return $"weight must be positive, not {w:G}";
            if (Rate is not null) yield return $"rate is only for supervisor, not {KindName}";
            if (At is not null) yield return $"at is only for admin-rule-change, not {KindName}";
        }
        else
        {
            if (Weight is not null)
                yield return $"weight is only for customer journeys (chat, bot-handoff, returning-visitor, transfer): {KindName} is staff, {(Name == ScenarioKind.Supervisor ? "give its rate" : "give its at")}";
        }
        if (Name == ScenarioKind.Supervisor)
        {
            if (Rate is not { } r || !(r > 0) || r > 40)
                yield return "rate is required for supervisor (reads per second, above 0 and at most 40: the gateway's per-subject limit is 50/s)";
            if (At is not null) yield return "at is only for admin-rule-change, not supervisor";
        }
        if (Name == ScenarioKind.AdminRuleChange)
        {
            if (At is not { } at || !(at >= 0) || at >= duration)
                yield return $"at is required for admin-rule-change, within the profile's {duration:G} s (0 <= at < {duration:G})";
            if (Rate is not null) yield return "rate is only for supervisor, not admin-rule-change";
        }
        bool midRun = Name is ScenarioKind.ReturningVisitor or ScenarioKind.Transfer;
        if (!midRun && (From is not null || To is not null)) yield return $"from and to are only for returning-visitor and transfer, not {KindName}";
        else if (midRun && (From ?? DefaultFrom) is var f && (To ?? DefaultTo) is var t && !(f >= 0 && f <= t && t <= 1))
            yield return "from and to must be fractions of the phases' length with 0 <= from <= to <= 1";
        if (Name != ScenarioKind.ReturningVisitor && AwayMs is not null) yield return $"awayMs is only for returning-visitor, not {KindName}";
        else if (AwayMs is < 0 or > 60_000) yield return "awayMs must be between 0 and 60000";
    }
}

/// <summary>
/// Which customer plays which journey: the customer journeys of a mix share the customers by weight. The spread is a
/// smooth weighted round-robin, so every prefix of the customers (those that arrived first, those a keep-constant
/// phase keeps busy) holds each journey within one customer of its share, and the whole population within one too.
/// </summary>
public static class ScenarioMix
{
    /// <summary>A profile without <c>scenarios</c>: every customer chats, as before mixes existed.</summary>
    public static readonly IReadOnlyList<ScenarioEntry> ChatOnly = [new ScenarioEntry { Name = ScenarioKind.Chat, Weight = 1 }];

    public static IReadOnlyList<ScenarioEntry> Of(IReadOnlyList<ScenarioEntry> scenarios) => scenarios.Count == 0 ? ChatOnly : scenarios;

    /// <summary>The journey of each of <paramref name="customers"/> customers, by index.</summary>
    public static ScenarioKind[] Assign(IReadOnlyList<ScenarioEntry> scenarios, int customers)
    {
        var journeys = Of(scenarios).Where(s => s.IsCustomerJourney).ToList();
        var assigned = new ScenarioKind[customers];
        if (journeys.Count == 0) return assigned;
        double total = journeys.Sum(s => s.Weight!.Value);
        var credit = new double[journeys.Count];
        for (int i = 0; i < customers; i++)
        {
            int best = 0;
            for (int k = 0; k < journeys.Count; k++)
            {
                credit[k] += journeys[k].Weight!.Value;
                if (credit[k] > credit[best]) best = k;
            }
            credit[best] -= total;
            assigned[i] = journeys[best].Name;
        }
        return assigned;
    }

    /// <summary>
    /// The profile's agents split between the run's tenant and the bot-first tenant, in proportion to their customers,
    /// at least one for a tenant that has customers.
    /// </summary>
    public static (int Main, int Bot) SplitAgents(int agents, int mainCustomers, int botCustomers)
    {
        if (botCustomers == 0) return (agents, 0);
        if (mainCustomers == 0) return (0, agents);
        int bot = Math.Clamp((int)Math.Round(agents * (double)botCustomers / (mainCustomers + botCustomers)), 1, Math.Max(1, agents - 1));
        return (agents - bot, bot);
    }

    /// <summary>What is wrong with the mix as a whole (the entries' own fields are checked by <see cref="ScenarioEntry.Validate"/>).</summary>
    public static IEnumerable<string> Validate(IReadOnlyList<ScenarioEntry> scenarios, int customers, int agents)
    {
        if (scenarios.Count == 0) yield break;
        foreach (var kind in scenarios.GroupBy(s => s.Name).Where(g => g.Count() > 1).Select(g => g.Key))
            yield return $"scenarios: '{ScenarioEntry.NameOf(kind)}' is listed twice";
        if (!scenarios.Any(s => s.IsCustomerJourney))
            yield return "scenarios: at least one customer journey (chat, bot-handoff, returning-visitor, transfer) is needed: the phases' messages are theirs";
        if (scenarios.Any(s => s.IsCustomerJourney && s.Weight is not > 0)) yield break;
        var assigned = Assign(scenarios, customers);
        int bot = assigned.Count(k => k == ScenarioKind.BotHandoff), main = customers - bot;
        foreach (var s in scenarios.Where(s => s.IsCustomerJourney))
            if (!assigned.Contains(s.Name))
                yield return $"scenarios: {s.KindName} gets no customer of {customers} at weight {s.Weight:G}: raise its weight or the customers";
        if (bot > 0 && main > 0 && agents < 2)
            yield return "agents: bot-handoff's visitors are in a bot-first tenant of their own, with agents of their own: at least 2 agents are needed";
        var (mainAgents, _) = SplitAgents(agents, main, bot);
        if (assigned.Contains(ScenarioKind.Transfer) && mainAgents < 2)
            yield return $"scenarios: transfer needs at least 2 agents in the run's tenant (it has {mainAgents})";
    }
}
