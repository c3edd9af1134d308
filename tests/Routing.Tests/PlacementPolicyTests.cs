using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;
using CustomerService.Routing.Rules;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomerService.Routing.Tests;

public sealed class PlacementPolicyTests
{
    private static (PlacementPolicy Policy, MemoryConfigurationProvider Source, IConfigurationRoot Root, ServiceProvider Services) Build(
        Dictionary<string, string?> settings)
    {
        var source = new MemoryConfigurationSource { InitialData = settings };
        var root = new ConfigurationBuilder().Add(source).Build();
        var services = new ServiceCollection().AddLogging().AddRouting(root).BuildServiceProvider();
        var provider = root.Providers.OfType<MemoryConfigurationProvider>().Single();
        return (services.GetRequiredService<PlacementPolicy>(), provider, root, services);
    }

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Routing:Rules:*:DefaultSkillGroup"] = "general",
        ["Routing:Rules:acme:DefaultSkillGroup"] = "acme-general",
        ["Routing:Rules:acme:Rules:0:SkillGroup"] = "acme-billing",
        ["Routing:Rules:acme:Rules:0:HighPriority"] = "true",
        ["Routing:Rules:acme:Rules:0:When:Keywords:0"] = "refund",
        ["Routing:Rules:acme:Overflows:0:FromSkillGroup"] = "acme-billing",
        ["Routing:Rules:acme:Overflows:0:ToSkillGroup"] = "acme-general",
        ["Routing:Rules:acme:Overflows:0:After"] = "00:00:30",
    };

    [Fact]
    public void Rules_from_configuration_choose_group_band_and_overflow()
    {
        var (policy, _, _, services) = Build(Settings);
        using var _ = services;

        Assert.Equal(new Placement("acme-billing", QueueBand.Priority, "acme-general", TimeSpan.FromSeconds(30)),
            policy.Decide(new EnqueueRequest { TenantId = "acme", FirstMessage = "refund please" }));
        Assert.Equal(new Placement("acme-general", QueueBand.Normal),
            policy.Decide(new EnqueueRequest { TenantId = "acme", FirstMessage = "hi" }));
        Assert.Equal(new Placement("general", QueueBand.Normal),
            policy.Decide(new EnqueueRequest { TenantId = "other", FirstMessage = "refund" }));
    }

    [Fact]
    public void A_named_skill_group_bypasses_the_rules_but_keeps_tier_priority_and_overflow()
    {
        var (policy, _, _, services) = Build(Settings);
        using var _ = services;

        Assert.Equal(new Placement("acme-billing", QueueBand.Priority, "acme-general", TimeSpan.FromSeconds(30)),
            policy.Decide(new EnqueueRequest { TenantId = "acme", SkillGroup = "acme-billing", CustomerTier = "Vip", FirstMessage = "hi" }));
        Assert.Equal(new Placement("sales", QueueBand.Normal),
            policy.Decide(new EnqueueRequest { TenantId = "acme", SkillGroup = "sales", FirstMessage = "refund" }));
    }

    [Fact]
    public void A_changed_rule_applies_to_the_next_conversation_without_restart()
    {
        var (policy, source, root, services) = Build(Settings);
        using var _ = services;
        Assert.Equal("acme-general", policy.Decide(new EnqueueRequest { TenantId = "acme", FirstMessage = "where is my parcel" }).SkillGroup);

        source.Set("Routing:Rules:acme:Rules:1:SkillGroup", "logistics");
        source.Set("Routing:Rules:acme:Rules:1:When:Keywords:0", "parcel");
        root.Reload();

        Assert.Equal("logistics", policy.Decide(new EnqueueRequest { TenantId = "acme", FirstMessage = "where is my parcel" }).SkillGroup);
    }

    [Fact]
    public void Without_a_matching_rule_or_default_the_conversation_is_refused()
    {
        var (policy, _, _, services) = Build([]);
        using var _ = services;

        var refusal = Assert.Throws<RoutingRefusal>(() => policy.Decide(new EnqueueRequest { TenantId = "acme" }));
        Assert.Equal(StatusCode.FailedPrecondition, refusal.Status);
    }

    [Fact]
    public void Unusable_rules_are_refused_with_what_is_wrong()
    {
        var (_, _, _, services) = Build(new()
        {
            ["Routing:Rules:acme:Rules:0:Name"] = "broken",
            ["Routing:Rules:acme:Rules:0:When:Keywords:0"] = "x",
            ["Routing:Rules:acme:Overflows:0:FromSkillGroup"] = "a",
            ["Routing:Rules:acme:Overflows:0:ToSkillGroup"] = "a",
            ["Routing:Rules:acme:Overflows:1:FromSkillGroup"] = "a",
            ["Routing:Rules:acme:Overflows:1:ToSkillGroup"] = "b:c",
            ["Routing:Rules:acme:Overflows:1:After"] = "00:00:10",
        });
        using var _ = services;

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptionsMonitor<RoutingRulesOptions>>().CurrentValue);
        Assert.Contains(error.Failures, f => f.Contains("Rules[0] (broken).SkillGroup is required"));
        Assert.Contains(error.Failures, f => f.Contains("Overflows[0] overflows a to itself"));
        Assert.Contains(error.Failures, f => f.Contains("Overflows[0].After must be positive"));
        Assert.Contains(error.Failures, f => f.Contains("Overflows[1].ToSkillGroup 'b:c' contains"));
    }
}
