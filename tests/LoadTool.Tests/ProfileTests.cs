using CustomerService.ChatLoad;
using CustomerService.ChatLoad.Profiles;

namespace CustomerService.LoadTool.Tests;

public sealed class ProfileTests
{
    private static readonly string RepoRoot = LoadOptions.FindRepoRoot(AppContext.BaseDirectory);

    [Theory]
    [InlineData("smoke")]
    [InlineData("peak")]
    [InlineData("singles-day")]
    [InlineData("saturate")]
    [InlineData("mix")]
    [InlineData("session-kill")]
    [InlineData("archive-outage")]
    public void The_shipped_profiles_are_valid(string name)
    {
        var profile = LoadProfile.Load(name, RepoRoot);
        Assert.Equal(name, profile.Name);
        Assert.NotEmpty(profile.Phases);
        Assert.NotEmpty(profile.Thresholds);
    }

    [Fact]
    public void Smoke_takes_under_a_minute_and_singles_day_about_ten()
    {
        Assert.True(LoadProfile.Load("smoke", RepoRoot).Duration <= TimeSpan.FromSeconds(60));
        Assert.InRange(LoadProfile.Load("singles-day", RepoRoot).Duration.TotalMinutes, 9, 11);
    }

    [Fact]
    public void Mix_plays_every_journey_in_under_a_minute()
    {
        var mix = LoadProfile.Load("mix", RepoRoot);
        Assert.True(mix.Duration <= TimeSpan.FromSeconds(60));
        Assert.Equal(Enum.GetValues<CustomerService.ChatLoad.Scenarios.ScenarioKind>().Order(), mix.Scenarios.Select(s => s.Name).Order());
    }

    [Fact]
    public void Singles_day_spikes_to_ten_times_normal_within_seconds()
    {
        var phases = LoadProfile.Load("singles-day", RepoRoot).Phases;
        var spike = phases.Single(p => p.Name == "midnight-spike");
        Assert.Equal(LoadModel.RampInject, spike.Model);
        Assert.True(spike.Seconds <= 10);
        Assert.Equal(10, spike.To!.Value / spike.From!.Value, 3);
    }

    [Fact]
    public void Every_invalid_field_is_named()
    {
        var e = Assert.Throws<ProfileException>(() => LoadProfile.Parse("""
            { "name": "bad", "customers": 0, "agents": 1,
              "phases": [ { "name": "a", "model": "inject", "seconds": 5 },
                          { "name": "a", "model": "keep-constant", "customers": 9, "seconds": 0 } ],
              "thresholds": ["b.e2e_p99_ms<1", "nonsense"] }
            """, "bad.json"));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains("customers must be at least 1", e.Message);
        Assert.Contains("phases[0] (a): inject needs a positive rate", e.Message);
        Assert.Contains("phases[1] (a): seconds must be positive", e.Message);
        Assert.Contains("the name 'a' is used twice", e.Message);
        Assert.Contains("no phase 'b'", e.Message);
        Assert.Contains("'nonsense' is not METRIC<VALUE", e.Message);
    }

    [Fact]
    public void Unknown_fields_and_models_are_refused_with_their_place()
    {
        var unknownField = Assert.Throws<ProfileException>(() => LoadProfile.Parse("""{ "name": "x", "customerz": 3 }""", "x.json"));
        Assert.Contains("customerz", unknownField.Message);
        var unknownModel = Assert.Throws<ProfileException>(() => LoadProfile.Parse(
            """{ "name": "x", "customers": 1, "agents": 1, "phases": [ { "name": "a", "model": "flood", "seconds": 1 } ] }""", "x.json"));
        Assert.Contains("phases[0].model", unknownModel.Message);
    }

    [Fact]
    public void A_missing_profile_lists_the_ones_there_are()
    {
        var e = Assert.Throws<ProfileException>(() => LoadProfile.Load("no-such-profile", RepoRoot));
        Assert.Contains("smoke", e.Message);
        Assert.Contains("peak", e.Message);
    }

    [Theory]
    [InlineData("e2e_p99_ms<200", null, "e2e_p99_ms", "<", 200)]
    [InlineData("peak.msg_per_s>=12000", "peak", "msg_per_s", ">=", 12000)]
    [InlineData("error_rate <= 0.01", null, "error_rate", "<=", 0.01)]
    [InlineData("lost<1", null, "lost", "<", 1)]
    public void Thresholds_read_metric_operator_and_value(string text, string? phase, string metric, string op, double value)
    {
        var t = Threshold.Parse(text, new HashSet<string> { "peak" });
        Assert.Equal((phase, metric, op, value), (t.Phase, t.Metric, t.Operator, t.Value));
    }

    [Fact]
    public void Thresholds_hold_or_fail_by_their_operator()
    {
        var phases = new HashSet<string>();
        Assert.True(Threshold.Parse("lost<1", phases).Holds(0));
        Assert.False(Threshold.Parse("lost<1", phases).Holds(1));
        Assert.True(Threshold.Parse("msg_per_s>=100", phases).Holds(100));
        Assert.False(Threshold.Parse("msg_per_s>100", phases).Holds(100));
    }

    [Theory]
    [InlineData("e2e_p99_ms<fast", "is not a number")]
    [InlineData("latency<3", "unknown metric 'latency'")]
    [InlineData("peak.lost<1", "whole-run figure")]
    public void Bad_thresholds_say_why(string text, string why) =>
        Assert.Contains(why, Assert.Throws<ProfileException>(() => Threshold.Parse(text, new HashSet<string> { "peak" })).Message);

    [Fact]
    public void Flags_without_a_profile_make_one_closed_phase_as_before()
    {
        var options = LoadOptions.Parse(["--customers", "50", "--agents", "10", "--seconds", "20", "--think-ms", "150", "--window", "1"], RepoRoot);
        var phase = Assert.Single(options.Profile.Phases);
        Assert.Equal((LoadModel.KeepConstant, 50, 150, 20.0), (phase.Model, phase.Customers!.Value, phase.ThinkMs, phase.Seconds));
        Assert.Equal((50, 10, 1), (options.Profile.Customers, options.Profile.Agents, options.Profile.Window));
    }

    [Fact]
    public void A_profile_takes_population_overrides_and_extra_thresholds()
    {
        var options = LoadOptions.Parse(["--profile", "peak", "--customers", "300", "--threshold", "peak.e2e_p99_ms<500", "--rate-scale", "0.25"], RepoRoot);
        Assert.Equal(300, options.Profile.Customers);
        Assert.Equal(0.25, options.RateScale);
        Assert.Contains(options.Thresholds, t => t.Text == "peak.e2e_p99_ms<500");
        Assert.Contains(options.Thresholds, t => t.Text == "peak.e2e_p99_ms<200");
    }

    [Fact]
    public void Unknown_flags_and_phase_flags_beside_a_profile_are_refused()
    {
        Assert.Contains("unknown argument '--custmers'", Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--custmers", "3"], RepoRoot)).Message);
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--profile", "smoke", "--seconds", "5"], RepoRoot));
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["--customers", "many"], RepoRoot));
    }

    [Fact]
    public void Send_stamps_read_back()
    {
        var text = SendStamp.Format(3, 1234567890123);
        Assert.True(SendStamp.TryParse(text, out var phase, out var ts));
        Assert.Equal((3, 1234567890123L), (phase, ts));
        Assert.False(SendStamp.TryParse("hello", out _, out _));
        Assert.False(SendStamp.TryParse("t=12", out _, out _));
    }
}

public sealed class AgentMessageTests
{
    [Fact]
    public void A_live_message_frame_is_read_in_one_pass()
    {
        var frame = """{"type":"message","conversationId":"c-1","seq":7,"clientId":"3-41","sender":{"kind":"customer","id":"v-42","name":"V"},"text":"t=123 p=1","sentAt":1790000000000,"metadata":{"a":"b"}}"""u8;
        Assert.True(AgentMessage.TryRead(frame, out var m));
        Assert.Equal(new AgentMessage("c-1", 7, "3-41", "t=123 p=1", true), m);
    }

    [Fact]
    public void A_system_message_is_not_the_customers_and_other_frames_are_not_messages()
    {
        Assert.True(AgentMessage.TryRead("""{"type":"message","conversationId":"c","seq":5,"sender":{"kind":"system","id":"tickets"},"text":"Work order","metadata":{"kind":"customer"}}"""u8, out var m));
        Assert.False(m.FromCustomer);
        Assert.False(AgentMessage.TryRead("""{"type":"ack","conversationId":"c","seq":5,"clientId":"x"}"""u8, out _));
        Assert.False(AgentMessage.TryRead("{\"type\":\"message\",\"conversationId\":\"c\""u8, out _));
    }
}
