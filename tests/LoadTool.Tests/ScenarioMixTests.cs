using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Profiles;
using CustomerService.ChatLoad.Scenarios;

namespace CustomerService.LoadTool.Tests;

public sealed class ScenarioMixTests
{
    private static readonly string RepoRoot = LoadOptions.FindRepoRoot(AppContext.BaseDirectory);

    private static ScenarioEntry Journey(ScenarioKind kind, double weight) => new() { Name = kind, Weight = weight };

    private static LoadProfile Parse(string scenarios, int customers = 20, int agents = 6) => LoadProfile.Parse($$"""
        { "name": "mix", "customers": {{customers}}, "agents": {{agents}},
          "phases": [ { "name": "a", "model": "inject", "rate": 10, "seconds": 30 } ],
          "scenarios": {{scenarios}} }
        """, "mix.json");

    [Fact]
    public void Customers_are_shared_by_weight_and_every_prefix_keeps_the_spread()
    {
        ScenarioEntry[] mix = [Journey(ScenarioKind.Chat, 80), Journey(ScenarioKind.BotHandoff, 10), Journey(ScenarioKind.ReturningVisitor, 5), Journey(ScenarioKind.Transfer, 5)];
        var assigned = ScenarioMix.Assign(mix, 1000);
        Assert.Equal(800, assigned.Count(k => k == ScenarioKind.Chat));
        Assert.Equal(100, assigned.Count(k => k == ScenarioKind.BotHandoff));
        Assert.Equal(50, assigned.Count(k => k == ScenarioKind.ReturningVisitor));
        Assert.Equal(50, assigned.Count(k => k == ScenarioKind.Transfer));
        // The first arrivals (and a keep-constant phase's first N) are a fair sample too: within one customer of the share.
        for (int n = 1; n <= 1000; n++)
            foreach (var entry in mix)
                Assert.InRange(assigned.Take(n).Count(k => k == entry.Name), n * entry.Weight!.Value / 100 - 1, n * entry.Weight!.Value / 100 + 1);
    }

    [Fact]
    public void Staff_scenarios_take_no_customer_and_no_mix_means_every_customer_chats()
    {
        ScenarioEntry[] mix = [Journey(ScenarioKind.Chat, 1), new() { Name = ScenarioKind.Supervisor, Rate = 2 }];
        Assert.All(ScenarioMix.Assign(mix, 50), k => Assert.Equal(ScenarioKind.Chat, k));
        Assert.All(ScenarioMix.Assign([], 50), k => Assert.Equal(ScenarioKind.Chat, k));
    }

    [Theory]
    [InlineData(40, 36, 4, 36, 4)]
    [InlineData(12, 34, 6, 10, 2)]
    [InlineData(10, 0, 10, 0, 10)]
    [InlineData(10, 10, 0, 10, 0)]
    [InlineData(5, 99, 1, 4, 1)]
    public void Agents_are_split_between_the_tenants_by_their_customers(int agents, int main, int bot, int mainAgents, int botAgents) =>
        Assert.Equal((mainAgents, botAgents), ScenarioMix.SplitAgents(agents, main, bot));

    [Fact]
    public void Mid_run_events_spread_over_their_window()
    {
        ScenarioEntry[] mix = [Journey(ScenarioKind.Chat, 1), Journey(ScenarioKind.ReturningVisitor, 1) with { From = 0.5, To = 1 }];
        var journeys = ScenarioMix.Assign(mix, 8);
        var at = LoadRun.MidRunEvents(mix, journeys, 100);
        var drops = Enumerable.Range(0, 8).Where(i => journeys[i] == ScenarioKind.ReturningVisitor).Select(i => at[i]).ToList();
        Assert.Equal([56.25, 68.75, 81.25, 93.75], drops);
        Assert.All(Enumerable.Range(0, 8).Where(i => journeys[i] == ScenarioKind.Chat), i => Assert.Equal(0, at[i]));
    }

    [Fact]
    public void A_valid_mix_is_read()
    {
        var profile = Parse("""
            [ { "name": "chat", "weight": 70 }, { "name": "bot-handoff", "weight": 10 }, { "name": "returning-visitor", "weight": 10, "awayMs": 500 },
              { "name": "transfer", "weight": 10, "from": 0.3, "to": 0.6 }, { "name": "supervisor", "rate": 2 }, { "name": "admin-rule-change", "at": 10 } ]
            """);
        Assert.Equal([ScenarioKind.Chat, ScenarioKind.BotHandoff, ScenarioKind.ReturningVisitor, ScenarioKind.Transfer, ScenarioKind.Supervisor, ScenarioKind.AdminRuleChange],
            profile.Scenarios.Select(s => s.Name));
    }

    [Fact]
    public void Every_invalid_scenario_field_is_named()
    {
        var e = Assert.Throws<ProfileException>(() => Parse("""
            [ { "name": "chat" }, { "name": "bot-handoff", "weight": -1 }, { "name": "supervisor", "weight": 5 },
              { "name": "admin-rule-change", "at": 99 }, { "name": "transfer", "weight": 1, "from": 0.9, "to": 0.1 },
              { "name": "returning-visitor", "weight": 1, "rate": 3 }, { "name": "chat", "weight": 1 } ]
            """));
        Assert.Contains("scenarios[0] (chat): weight is required", e.Message);
        Assert.Contains("scenarios[1] (bot-handoff): weight must be positive", e.Message);
        Assert.Contains("scenarios[2] (supervisor): weight is only for customer journeys", e.Message);
        Assert.Contains("scenarios[2] (supervisor): rate is required", e.Message);
        Assert.Contains("scenarios[3] (admin-rule-change): at is required for admin-rule-change, within the profile's 30 s", e.Message);
        Assert.Contains("scenarios[4] (transfer): from and to must be fractions", e.Message);
        Assert.Contains("scenarios[5] (returning-visitor): rate is only for supervisor", e.Message);
        Assert.Contains("'chat' is listed twice", e.Message);
    }

    [Fact]
    public void Unknown_scenarios_and_fields_are_refused_with_their_place()
    {
        var unknown = Assert.Throws<ProfileException>(() => Parse("""[ { "name": "shopping", "weight": 1 } ]"""));
        Assert.Contains("scenarios[0].name", unknown.Message);
        var field = Assert.Throws<ProfileException>(() => Parse("""[ { "name": "chat", "weigth": 1 } ]"""));
        Assert.Contains("weigth", field.Message);
    }

    [Fact]
    public void A_mix_that_cannot_be_played_says_why()
    {
        Assert.Contains("at least one customer journey", Assert.Throws<ProfileException>(() => Parse("""[ { "name": "supervisor", "rate": 1 } ]""")).Message);
        Assert.Contains("transfer gets no customer of 3", Assert.Throws<ProfileException>(() =>
            Parse("""[ { "name": "chat", "weight": 99 }, { "name": "transfer", "weight": 1 } ]""", customers: 3)).Message);
        Assert.Contains("agents: bot-handoff's visitors are in a bot-first tenant", Assert.Throws<ProfileException>(() =>
            Parse("""[ { "name": "chat", "weight": 1 }, { "name": "bot-handoff", "weight": 1 } ]""", agents: 1)).Message);
        Assert.Contains("transfer needs at least 2 agents", Assert.Throws<ProfileException>(() =>
            Parse("""[ { "name": "transfer", "weight": 1 } ]""", agents: 1)).Message);
    }

    [Fact]
    public void Send_stamps_carry_the_journey_and_chat_stamps_are_as_before()
    {
        Assert.Equal("t=5 p=1", SendStamp.Format(1, 5));
        Assert.Equal("t=5 p=1", SendStamp.Format(1, 5, 0));
        Assert.True(SendStamp.TryParse(SendStamp.Format(2, 77, (int)ScenarioKind.Transfer), out var phase, out var ts, out var scenario));
        Assert.Equal((2, 77L, (int)ScenarioKind.Transfer), (phase, ts, scenario));
        Assert.False(SendStamp.TryParse("t=5 p=1 s=x", out _, out _, out _));
    }

    [Fact]
    public void Steps_are_counted_with_errors_and_latency_in_the_order_first_seen()
    {
        var stats = new JourneyStats();
        stats.Expect(ScenarioKind.BotHandoff, "bot-answer");
        stats.Record(ScenarioKind.BotHandoff, "handoff", System.Diagnostics.Stopwatch.Frequency / 10);   // 100 ms
        stats.Record(ScenarioKind.BotHandoff, "bot-answer", System.Diagnostics.Stopwatch.Frequency / 50); // 20 ms
        stats.Failed(ScenarioKind.BotHandoff, "bot-answer");
        var steps = stats.Steps(ScenarioKind.BotHandoff);
        Assert.Equal(["bot-answer", "handoff"], steps.Select(s => s.Name));
        Assert.Equal((2L, 1L), (steps[0].Count, steps[0].Errors));
        Assert.InRange(steps[0].Ms(99), 19.9, 20.1);
        Assert.InRange(steps[1].Ms(50), 99.9, 100.1);
        Assert.Empty(stats.Steps(ScenarioKind.Chat));
    }
}
