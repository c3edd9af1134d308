using System.Net;
using System.Text.Json;
using CustomerService.Contracts;

namespace CustomerService.LiveConfig.Tests;

/// <summary>The agents section: the document Admin publishes for Routing, never written through the configuration API.</summary>
public class AgentDirectoryTests
{
    private static readonly ConfigSectionDescriptor Section = ConfigSections.Get(ConfigSections.Agents);

    [Fact]
    public void The_published_document_reads_back_with_its_agents_and_groups()
    {
        var directory = (AgentDirectory)Section.Parse("""
            {"skill_groups":[{"name":"vip","display_name":"VIP"}],
             "agents":[{"id":"a1","login":"bob","display_name":"Bob","role":"agent","skill_groups":["general","vip"],"capacity":null,"active":true},
                       {"id":"a2","login":"eve","display_name":"Eve","role":"agent","skill_groups":["vip"],"capacity":3,"active":false}]}
            """, strict: true);
        Assert.True(Section.Validate(directory).IsValid);
        Assert.Equal(["general", "vip"], directory.Find("a1")!.SkillGroups);
        Assert.Null(directory.Find("a1")!.Capacity);
        Assert.Equal((3, false), (directory.Find("a2")!.Capacity, directory.Find("a2")!.Active));
        Assert.Null(directory.Find("a3"));
        Assert.Equal(directory, (AgentDirectory)Section.Parse(Section.Serialize(directory), strict: true) with { }, new DirectoryComparer());
    }

    [Fact]
    public void Repeated_ids_and_capacities_out_of_range_are_errors_by_path()
    {
        var directory = (AgentDirectory)Section.Parse("""
            {"agents":[{"id":"a1","capacity":0},{"id":"a1","skill_groups":[""]}]}
            """, strict: true);
        var errors = Section.Validate(directory).ToDictionary();
        Assert.Equal(["agents[0].capacity", "agents[1].id", "agents[1].skill_groups[0]"], errors.Keys.Order());
    }

    private sealed class DirectoryComparer : IEqualityComparer<AgentDirectory>
    {
        public bool Equals(AgentDirectory? x, AgentDirectory? y) =>
            Section.Serialize(x!) == Section.Serialize(y!);
        public int GetHashCode(AgentDirectory obj) => 0;
    }
}

/// <summary>The configuration API does not offer the agents section: Admin publishes it from the agents API.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AgentDirectoryApiTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_configuration_api_neither_lists_nor_writes_the_agents_section()
    {
        using var list = await postgres.Admin.SendAsync(HttpMethod.Get, "/api/admin/config", "acme", Roles.Admin);
        var sections = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(s => s.GetProperty("section").GetString());
        Assert.DoesNotContain(ConfigSections.Agents, sections);
        Assert.Contains(ConfigSections.RoutingRules, sections);

        using var put = await postgres.Admin.SendAsync(HttpMethod.Put, "/api/admin/config/agents", "acme", Roles.Admin, """{"agents":[]}""");
        Assert.False(put.IsSuccessStatusCode);
        Assert.Contains(put.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
    }
}
