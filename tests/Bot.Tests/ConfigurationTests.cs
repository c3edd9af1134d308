using System.Text;
using CustomerService.Bot.Knowledge;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CustomerService.Bot.Tests;

/// <summary>Knowledge from appsettings (Bot:Tenants:{tenant}) until live configuration feeds the store.</summary>
public class ConfigurationTests
{
    private const string AppSettings = """
        {
          "Bot": {
            "Tenants": {
              "acme": {
                "Settings": {
                  "DisplayName": "Acme Assistant",
                  "Welcome": { "Text": "Hi!", "QuickReplies": [ { "Title": "Opening hours", "Payload": "canned:hours" } ] },
                  "BusinessHours": {
                    "TimeZone": "Asia/Shanghai",
                    "Weekly": [ { "Days": [ "Monday", "Friday" ], "Open": "09:00", "Close": "18:30" } ],
                    "Closed": [ "2026-10-01" ]
                  },
                  "ConfidenceThreshold": 0.6,
                  "MaxUnansweredTurns": 4,
                  "HandoffPhrases": [ "找经理" ],
                  "HandoffSkillGroup": "vip",
                  "CannedAnswers": { "hours": { "Text": "9:00-18:30" } },
                  "RegexTimeout": "00:00:00.100"
                },
                "Rules": [
                  { "Id": "refund", "Priority": 2, "Kind": "Regex", "Patterns": [ "退款|refund" ], "Answer": { "Text": "Refunds take 5 days." } },
                  { "Id": "hours", "Priority": 1, "Kind": "Phrase", "Patterns": [ "opening hours" ], "CannedAnswer": "hours" }
                ],
                "Faq": [
                  { "Id": "ship", "Question": "How long does shipping take?", "Alternates": [ "When will it arrive?" ], "Answer": "3-5 days." }
                ]
              }
            }
          }
        }
        """;

    [Fact]
    public async Task Binds_a_tenants_settings_rules_and_faq_from_appsettings()
    {
        var (store, loader) = Load(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings))).Build());
        await loader.StartAsync(CancellationToken.None);

        var acme = store.For("acme");
        Assert.Equal("Acme Assistant", acme.Settings.DisplayName);
        Assert.Equal("canned:hours", Assert.Single(acme.Settings.Welcome!.QuickReplies).Payload);
        Assert.Equal("Asia/Shanghai", acme.Settings.BusinessHours.TimeZone);
        var hours = Assert.Single(acme.Settings.BusinessHours.Weekly);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Friday], hours.Days);
        Assert.Equal((new TimeOnly(9, 0), new TimeOnly(18, 30)), (hours.Open, hours.Close));
        Assert.Equal([new DateOnly(2026, 10, 1)], acme.Settings.BusinessHours.Closed);
        Assert.Equal(0.6, acme.Settings.ConfidenceThreshold);
        Assert.Equal(4, acme.Settings.MaxUnansweredTurns);
        Assert.Equal(["找经理"], acme.Settings.HandoffPhrases);
        Assert.Equal("9:00-18:30", acme.Settings.CannedAnswers["hours"].Text);
        Assert.Equal(TimeSpan.FromMilliseconds(100), acme.Settings.RegexTimeout);
        Assert.Equal(["refund", "hours"], acme.Rules.Select(r => r.Id));
        Assert.Equal(RuleKind.Regex, acme.Rules[0].Kind);
        Assert.Equal("hours", acme.Rules[1].CannedAnswer);
        Assert.Equal(["When will it arrive?"], Assert.Single(acme.Faq).Alternates);
        Assert.Same(TenantKnowledge.Empty, store.For("someone-else"));
    }

    [Fact]
    public async Task A_configuration_reload_replaces_the_knowledge_and_an_invalid_one_is_refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bot:Tenants:acme:Rules:0:Id"] = "refund",
            ["Bot:Tenants:acme:Rules:0:Kind"] = "Keyword",
            ["Bot:Tenants:acme:Rules:0:Patterns:0"] = "refund",
            ["Bot:Tenants:acme:Rules:0:Answer:Text"] = "Five days.",
        }).Build();
        var (store, loader) = Load(configuration);
        await loader.StartAsync(CancellationToken.None);
        var changes = new List<string>();
        store.Changed += changes.Add;

        configuration["Bot:Tenants:acme:Rules:0:Answer:Text"] = "Three days.";
        configuration.Reload();
        var afterEdit = store.For("acme");
        configuration["Bot:Tenants:acme:Rules:0:Kind"] = "Regex";
        configuration["Bot:Tenants:acme:Rules:0:Patterns:0"] = "refund(";
        configuration.Reload();

        Assert.Equal("Three days.", afterEdit.Rules[0].Answer!.Text);
        Assert.Same(afterEdit, store.For("acme"));
        Assert.Equal(["acme"], changes);
    }

    [Fact]
    public async Task The_service_does_not_start_with_invalid_knowledge_and_names_every_error()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = "nats://127.0.0.1:1",
            ["ConnectionStrings:redis"] = "127.0.0.1:1",
            ["Bot:Tenants:acme:Settings:BusinessHours:TimeZone"] = "Mars/Olympus_Mons",
            ["Bot:Tenants:acme:Rules:0:Id"] = "broken",
            ["Bot:Tenants:acme:Rules:0:Kind"] = "Regex",
            ["Bot:Tenants:acme:Rules:0:Patterns:0"] = "(unclosed",
            ["Bot:Tenants:acme:Rules:0:Answer:Text"] = "x",
        });
        builder.AddApplicationServices();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("Mars/Olympus_Mons"));
        Assert.Contains(error.Failures, f => f.Contains("rule 'broken'") && f.Contains("(unclosed"));
    }

    private static (BotKnowledgeStore Store, ConfiguredBotKnowledge Loader) Load(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddOptions<BotOptions>().BindConfiguration(BotOptions.SectionName);
        var provider = services.BuildServiceProvider();
        var store = new BotKnowledgeStore();
        return (store, new ConfiguredBotKnowledge(store, provider.GetRequiredService<IOptionsMonitor<BotOptions>>(), NullLogger<ConfiguredBotKnowledge>.Instance));
    }
}
