using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;

namespace CustomerService.Admin.Tests;

/// <summary>The agents and skill-groups API of the real Admin service over a real PostgreSQL.</summary>
[Collection(AdminCollection.Name)]
public sealed class AgentsApiTests(AdminFixture fixture) : IAsyncLifetime
{
    private readonly string _tenant = "t-" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _otherTenant = "o-" + Guid.NewGuid().ToString("N")[..10];

    public async Task InitializeAsync()
    {
        await using var db = fixture.AdminDatabase();
        foreach (var tenant in new[] { _tenant, _otherTenant })
        {
            await using var insert = db.CreateCommand("INSERT INTO tenants (id, name) VALUES ($1, $1)");
            insert.Parameters.Add(new() { Value = tenant });
            await insert.ExecuteNonQueryAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string role = Roles.Admin, string? tenant = null,
        string user = "admin-1")
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IdentityHeaders.Tenant, tenant ?? _tenant);
        request.Headers.Add(IdentityHeaders.User, user);
        request.Headers.Add(IdentityHeaders.Role, role);
        request.Headers.Add(IdentityHeaders.Name, Uri.EscapeDataString("管理员 Ada"));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return fixture.Client.SendAsync(request);
    }

    private async Task<JsonElement> OkAsync(HttpMethod method, string path, string? json = null, HttpStatusCode expected = HttpStatusCode.OK,
        string? tenant = null)
    {
        using var response = await SendAsync(method, path, json, tenant: tenant);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The problem's errors by field, asserting the status.</summary>
    private async Task<Dictionary<string, string[]>> ProblemAsync(HttpMethod method, string path, string? json, HttpStatusCode expected)
    {
        using var response = await SendAsync(method, path, json);
        Assert.Equal(expected, response.StatusCode);
        var problem = await Tokens.ProblemAsync(response);
        return problem.TryGetProperty("errors", out var errors)
            ? errors.Deserialize<Dictionary<string, string[]>>()!
            : [];
    }

    private async Task<AgentDirectory?> PublishedDirectoryAsync(string tenant)
    {
        await using var db = fixture.AdminDatabase();
        await using var read = db.CreateCommand("SELECT document::text FROM config_documents WHERE tenant_id = $1 AND section = 'agents'");
        read.Parameters.Add(new() { Value = tenant });
        return await read.ExecuteScalarAsync() is string json
            ? (AgentDirectory)ConfigSections.Get(ConfigSections.Agents).Parse(json, strict: false)
            : null;
    }

    private const string Ann = """{"login":"Ann","display_name":"Ann Lee","password":"secret-123","role":"agent","skill_groups":["general","vip"],"capacity":4}""";

    [Fact]
    public async Task Agents_and_skill_groups_go_through_create_read_update_delete_and_are_published_for_routing()
    {
        await OkAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"general","display_name":"General"}""", HttpStatusCode.Created);
        await OkAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"vip","description":"gold and platinum customers"}""", HttpStatusCode.Created);
        var created = await OkAsync(HttpMethod.Post, "/api/admin/agents", Ann, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(("ann", "Ann Lee", "agent", 4, true),
            (created.GetProperty("login").GetString(), created.GetProperty("display_name").GetString(), created.GetProperty("role").GetString(),
             created.GetProperty("capacity").GetInt32(), created.GetProperty("active").GetBoolean()));
        Assert.False(created.TryGetProperty("password_hash", out _));

        // Published as the tenant's agents section, which Routing reads.
        var published = (await PublishedDirectoryAsync(_tenant))!.Find(id)!;
        Assert.Equal(["general", "vip"], published.SkillGroups);
        Assert.Equal((4, true), (published.Capacity, published.Active));

        // The new account signs in with its password.
        using (var login = await fixture.Client.PostAsJsonAsync("/api/auth/login", new { tenant = _tenant, login = "ann", password = "secret-123" }))
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        var updated = await OkAsync(HttpMethod.Put, $"/api/admin/agents/{id}",
            """{"login":"ann","display_name":"Ann Lee","role":"supervisor","skill_groups":["vip"],"capacity":null}""");
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("capacity").ValueKind);
        Assert.Equal("supervisor", (await OkAsync(HttpMethod.Get, $"/api/admin/agents/{id}")).GetProperty("role").GetString());
        published = (await PublishedDirectoryAsync(_tenant))!.Find(id)!;
        Assert.Equal(["vip"], published.SkillGroups);
        Assert.Equal(((int?)null, "supervisor"), (published.Capacity, published.Role));
        // No password in the update: the old one still works.
        using (var login = await fixture.Client.PostAsJsonAsync("/api/auth/login", new { tenant = _tenant, login = "ann", password = "secret-123" }))
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        var groups = await OkAsync(HttpMethod.Get, "/api/admin/skill-groups");
        Assert.Equal(["general", "vip"], groups.EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        await OkAsync(HttpMethod.Put, "/api/admin/skill-groups/vip", """{"display_name":"VIP desk"}""");
        await OkAsync(HttpMethod.Delete, "/api/admin/skill-groups/general", expected: HttpStatusCode.NoContent);
        Assert.Equal(["vip"], (await PublishedDirectoryAsync(_tenant))!.SkillGroups.Select(g => g.Name));

        using (var deleted = await SendAsync(HttpMethod.Delete, $"/api/admin/agents/{id}")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var gone = await SendAsync(HttpMethod.Get, $"/api/admin/agents/{id}")) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Null((await PublishedDirectoryAsync(_tenant))!.Find(id));

        // Audited: who did what, newest first, without passwords.
        var audit = (await OkAsync(HttpMethod.Get, "/api/admin/agents/audit")).EnumerateArray().ToArray();
        Assert.Equal(["agent:delete", "skill_group:delete", "skill_group:update", "agent:update", "agent:create", "skill_group:create", "skill_group:create"],
            audit.Select(a => $"{a.GetProperty("entity").GetString()}:{a.GetProperty("action").GetString()}"));
        Assert.All(audit, a => Assert.Equal(("admin-1", "admin", "管理员 Ada"),
            (a.GetProperty("actor_id").GetString(), a.GetProperty("actor_role").GetString(), a.GetProperty("actor_name").GetString())));
        Assert.Equal(4, audit[4].GetProperty("new_value").GetProperty("capacity").GetInt32());
        Assert.DoesNotContain("secret-123", audit.Select(a => a.GetRawText()).Aggregate((x, y) => x + y));
        Assert.DoesNotContain("AQAAAA", audit.Select(a => a.GetRawText()).Aggregate((x, y) => x + y));   // no password hash either
    }

    [Fact]
    public async Task Invalid_agents_are_refused_with_the_field_named_and_nothing_changes()
    {
        await OkAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"general"}""", HttpStatusCode.Created);

        var errors = await ProblemAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"no spaces","display_name":"","password":"short","role":"boss","skill_groups":["general","general","a:b"],"capacity":0}""",
            HttpStatusCode.BadRequest);
        Assert.Equal(["capacity", "display_name", "login", "password", "role", "skill_groups[1]", "skill_groups[2]"], errors.Keys.Order());

        Assert.Contains("skils", (await ProblemAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"x","display_name":"X","password":"secret-123","role":"agent","skils":["general"]}""", HttpStatusCode.BadRequest)).Keys);
        Assert.Contains("$", (await ProblemAsync(HttpMethod.Post, "/api/admin/agents", "{not json", HttpStatusCode.BadRequest)).Keys);
        var unknownGroup = await ProblemAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"x","display_name":"X","password":"secret-123","role":"agent","skill_groups":["general","nowhere"]}""", HttpStatusCode.BadRequest);
        Assert.Contains("nowhere", Assert.Single(unknownGroup["skill_groups"]));
        Assert.Contains("skill_groups", (await ProblemAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"x","display_name":"X","password":"secret-123","role":"agent","skill_groups":[]}""", HttpStatusCode.BadRequest)).Keys);
        Assert.Contains("name", (await ProblemAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"has space"}""", HttpStatusCode.BadRequest)).Keys);
        // A name is matched as a whole string: '$' would also have let a last line break through.
        Assert.Contains("name", (await ProblemAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"vip\n"}""", HttpStatusCode.BadRequest)).Keys);
        Assert.Contains("skill_groups[0]", (await ProblemAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"x","display_name":"X","password":"secret-123","role":"agent","skill_groups":["general\n"]}""", HttpStatusCode.BadRequest)).Keys);

        // Conflicts: a taken login, an existing group, a group agents are in.
        await OkAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"x","display_name":"X","password":"secret-123","role":"agent","skill_groups":["general"]}""", HttpStatusCode.Created);
        Assert.Contains("login", (await ProblemAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"X","display_name":"X2","password":"secret-123","role":"agent","skill_groups":["general"]}""", HttpStatusCode.Conflict)).Keys);
        Assert.Contains("name", (await ProblemAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"general"}""", HttpStatusCode.Conflict)).Keys);
        var inUse = await ProblemAsync(HttpMethod.Delete, "/api/admin/skill-groups/general", null, HttpStatusCode.Conflict);
        Assert.Contains("x", Assert.Single(inUse["name"]));

        Assert.Single((await OkAsync(HttpMethod.Get, "/api/admin/agents")).EnumerateArray());
        Assert.Single((await OkAsync(HttpMethod.Get, "/api/admin/skill-groups")).EnumerateArray());
        Assert.Equal(2, (await OkAsync(HttpMethod.Get, "/api/admin/agents/audit")).GetArrayLength());   // the group and the agent: nothing refused
    }

    [Fact]
    public async Task Roles_and_tenants_are_kept_apart()
    {
        await OkAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"general"}""", HttpStatusCode.Created);
        var id = (await OkAsync(HttpMethod.Post, "/api/admin/agents",
            """{"login":"zed","display_name":"Zed","password":"secret-123","role":"agent","skill_groups":["general"]}""", HttpStatusCode.Created))
            .GetProperty("id").GetString();

        // Supervisors read, agents read only skill groups, nobody but admins writes, and no identity is 401.
        using (var r = await SendAsync(HttpMethod.Get, "/api/admin/agents", role: Roles.Supervisor)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await SendAsync(HttpMethod.Get, "/api/admin/skill-groups", role: Roles.Agent)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await SendAsync(HttpMethod.Get, "/api/admin/agents", role: Roles.Agent)) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await SendAsync(HttpMethod.Post, "/api/admin/skill-groups", """{"name":"vip"}""", role: Roles.Supervisor))
            Assert.Equal(HttpStatusCode.Forbidden, (await Tokens.ProblemAsync(r), r.StatusCode).Item2);
        using (var r = await SendAsync(HttpMethod.Delete, $"/api/admin/agents/{id}", role: Roles.Supervisor)) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await fixture.Client.GetAsync("/api/admin/agents")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);

        // Another tenant's admin neither sees nor touches the agent.
        Assert.Equal(0, (await OkAsync(HttpMethod.Get, "/api/admin/agents", tenant: _otherTenant)).GetArrayLength());
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete })
            using (var r = await SendAsync(method, $"/api/admin/agents/{id}", tenant: _otherTenant)) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await SendAsync(HttpMethod.Put, $"/api/admin/agents/{id}",
            """{"login":"zed","display_name":"Stolen","role":"agent","skill_groups":[],"active":false}""", tenant: _otherTenant))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("Zed", (await OkAsync(HttpMethod.Get, $"/api/admin/agents/{id}")).GetProperty("display_name").GetString());

        // A deactivated account no longer signs in.
        await OkAsync(HttpMethod.Put, $"/api/admin/agents/{id}", """{"login":"zed","display_name":"Zed","role":"agent","skill_groups":["general"],"active":false}""");
        using var login = await fixture.Client.PostAsJsonAsync("/api/auth/login", new { tenant = _tenant, login = "zed", password = "secret-123" });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task The_demo_tenants_accounts_and_groups_are_published_on_start()
    {
        var directory = await PublishedDirectoryAsync("demo");
        Assert.NotNull(directory);
        Assert.Equal(["general", "vip"], directory.SkillGroups.Select(g => g.Name));
        var bob = Assert.Single(directory.Agents, a => a.Login == "bob");
        Assert.Equal(["general", "vip"], bob.SkillGroups);
        using var list = await SendAsync(HttpMethod.Get, "/api/admin/agents", tenant: "demo");
        var logins = (await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(a => a.GetProperty("login").GetString());
        // Other tests add accounts to the demo tenant too.
        Assert.Superset(new HashSet<string?> { "admin", "alice", "bob", "carol" }, logins.ToHashSet());
    }
}
