using System.Text;
using System.Text.Json;
using CustomerService.AdapterKit.Envelope;
using CustomerService.AdapterKit.Mapping;
using CustomerService.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CustomerService.Adapters.Tests;

public class LegacyMapperTests
{
    // A legacy CRM record as PHP would have it: a(...) with nested arrays, an object, a list, odd types.
    private const string Record = """
        a:9:{s:8:"realname";s:6:"王伟";s:7:"contact";a:2:{s:6:"mobile";s:11:"13800138000";s:5:"email";s:0:"";}s:5:"level";i:3;
        s:3:"vip";b:1;s:4:"addr";a:2:{i:0;a:1:{s:4:"city";s:6:"上海";}i:1;a:1:{s:4:"city";s:6:"北京";}}
        s:4:"tags";a:2:{i:0;s:3:"new";i:1;s:3:"sms";}s:5:"extra";O:8:"stdClass":2:{s:6:"source";s:3:"web";s:5:"score";d:8.5;}
        s:5:"state";s:6:"cached";s:5:"email";s:15:"wang@example.cn";}
        """;

    private static UnifiedMessage Message(string? tenant) =>
        LegacyEnvelope.FromPhpSerialized(Protocol.Http, Encoding.UTF8.GetBytes(Record.ReplaceLineEndings("")), "crm", tenant);

    private static TenantMappings Mappings() => new()
    {
        Default = new MessageMapping
        {
            Fields =
            {
                ["name"] = "realname",
                ["phone"] = "contact.phone|contact.mobile",
                ["email"] = "contact.email|email",
                ["tier"] = "level",
                ["availability"] = "state",
                ["attributes.city"] = "addr.0.city",
                ["attributes.second_city"] = "addr.1.city",
                ["attributes.tags"] = "tags",
                ["attributes.*"] = "extra",
            },
            Values = { ["tier"] = new() { ["3"] = "vip", ["*"] = "standard" } },
            Defaults = { ["attributes.region"] = "cn" },
        },
        Tenants =
        {
            ["acme"] = new MessageMapping
            {
                Fields = { ["tier"] = "vip", ["attributes.second_city"] = "" },
                Values = { ["tier"] = new() { ["TRUE"] = "gold-vip" } },
            },
        },
    };

    [Fact]
    public void A_legacy_record_becomes_the_contract_message()
    {
        var problems = new List<string>();
        var profile = new LegacyMapper<CustomerProfile>(Mappings()).Map(Message("t1"), problems);

        Assert.Empty(problems);
        Assert.Equal("王伟", profile.Name);
        Assert.Equal("13800138000", profile.Phone);          // the second alternative
        Assert.Equal("wang@example.cn", profile.Email);      // "" counts as no value
        Assert.Equal("vip", profile.Tier);                   // 3 through the value table
        Assert.Equal(Availability.Cached, profile.Availability); // an enum by its short name
        Assert.Equal("上海", profile.Attributes["city"]);
        Assert.Equal("北京", profile.Attributes["second_city"]);
        Assert.Equal("new, sms", profile.Attributes["tags"]);
        Assert.Equal("web", profile.Attributes["source"]);   // every member of an object
        Assert.Equal("8.5", profile.Attributes["score"]);
        Assert.Equal("cn", profile.Attributes["region"]);    // a default
    }

    [Fact]
    public void A_tenant_mapping_replaces_what_it_names_and_keeps_the_rest()
    {
        var mapper = new LegacyMapper<CustomerProfile>(Mappings());
        var acme = mapper.Map(Message("acme"));
        Assert.Equal("gold-vip", acme.Tier);                 // its own source and table, matched case-insensitively
        Assert.False(acme.Attributes.ContainsKey("second_city"));
        Assert.Equal("王伟", acme.Name);
        Assert.Equal("vip", mapper.Map(Message("someone-else")).Tier);
    }

    [Fact]
    public void A_value_that_does_not_fit_its_field_is_left_out_and_reported()
    {
        var mappings = Mappings();
        mappings.Default.Fields["availability"] = "realname";
        var problems = new List<string>();
        var profile = new LegacyMapper<CustomerProfile>(mappings).Map(Message(null), problems);
        Assert.Equal(Availability.Unspecified, profile.Availability);
        Assert.Equal("王伟", profile.Name);
        Assert.Single(problems, p => p.Contains("'availability'"));
    }

    [Fact]
    public void Numbers_and_repeated_fields_convert_to_their_types()
    {
        var record = JsonDocument.Parse("""{"n":"12","items":["a","b"],"amount":"1999","created":1.7e12,"st":"x"}""").RootElement;
        var mapper = new LegacyMapper<Order>(new TenantMappings
        {
            Default = new MessageMapping
            {
                Fields = { ["order_id"] = "n", ["items"] = "items", ["amount_cents"] = "amount", ["created_at_unix_ms"] = "created" },
                Defaults = { ["currency"] = "CNY" },
            },
        });
        var order = mapper.Map(record, null);
        Assert.Equal("12", order.OrderId);
        Assert.Equal(new[] { "a", "b" }, order.Items);
        Assert.Equal(1999, order.AmountCents);
        Assert.Equal(1_700_000_000_000, order.CreatedAtUnixMs);
        Assert.Equal("CNY", order.Currency);
    }

    [Fact]
    public void A_mapping_that_does_not_fit_the_message_fails_with_every_problem()
    {
        var mappings = new TenantMappings
        {
            Default = new MessageMapping
            {
                Fields = { ["nmae"] = "name", ["tier.x"] = "level", ["attributes"] = "extra", ["phone"] = "a..b" },
                Values = { ["email"] = new() { ["x"] = "y" } },
                Defaults = { ["availability"] = "sometimes" },
            },
            Tenants = { ["t9"] = new MessageMapping { Fields = { ["profile"] = "x" } } },
        };
        var error = Assert.Throws<LegacyMappingException>(() => new LegacyMapper<CustomerProfile>(mappings));
        Assert.Contains(error.Problems, p => p.Contains("no field 'nmae'"));
        Assert.Contains(error.Problems, p => p.Contains("'tier.x'"));
        Assert.Contains(error.Problems, p => p.Contains("map field 'attributes'"));
        Assert.Contains(error.Problems, p => p.Contains("empty segment"));
        Assert.Contains(error.Problems, p => p.Contains("Values for 'email'"));
        Assert.Contains(error.Problems, p => p.Contains("'sometimes'"));
        Assert.Contains(error.Problems, p => p.Contains("tenant 't9'") && p.Contains("'profile'"));
        Assert.Contains("message field", Assert.Throws<LegacyMappingException>(() =>
            new LegacyMapper<CustomerContext>(new TenantMappings { Default = { Fields = { ["profile"] = "p" } } })).Message);
    }

    [Fact]
    public void Mappings_come_from_configuration_and_are_checked_on_start()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mapping:Default:Fields:name"] = "realname",
            ["Mapping:Default:Fields:attributes.city"] = "addr.0.city",
            ["Mapping:Tenants:acme:Fields:name"] = "contact.mobile",
        }).Build();
        using var services = new ServiceCollection().AddLegacyMapping<CustomerProfile>(configuration.GetSection("Mapping")).BuildServiceProvider();
        var mapper = services.GetRequiredService<LegacyMapper<CustomerProfile>>();
        Assert.Equal("王伟", mapper.Map(Message("t1")).Name);
        Assert.Equal("上海", mapper.Map(Message("t1")).Attributes["city"]);
        Assert.Equal("13800138000", mapper.Map(Message("acme")).Name);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mapping:Default:Fields:nmae"] = "realname",
        }).Build();
        using var badServices = new ServiceCollection().AddLegacyMapping<CustomerProfile>(bad.GetSection("Mapping")).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => badServices.GetRequiredService<LegacyMapper<CustomerProfile>>());
        Assert.Contains("nmae", error.Message);
    }

    [Fact]
    public void The_envelope_says_where_the_body_came_from()
    {
        var message = Message("t1");
        Assert.Equal(Protocol.Http, message.Protocol);
        Assert.Equal("crm", message.Metadata[LegacyMetadata.System]);
        Assert.Equal("t1", message.Metadata[LegacyMetadata.Tenant]);
        Assert.Equal("php-serialize", message.Metadata[LegacyMetadata.SourceFormat]);
        Assert.Equal(LegacyEnvelope.JsonContentType, message.Metadata[LegacyMetadata.ContentType]);
        using var body = LegacyEnvelope.ParseBody(message);
        Assert.Equal("王伟", body.RootElement.GetProperty("realname").GetString());
    }
}
