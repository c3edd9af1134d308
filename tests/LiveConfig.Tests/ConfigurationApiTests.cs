using System.Net;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Grpc.Core;
using Grpc.Net.Client;

namespace CustomerService.LiveConfig.Tests;

/// <summary>The Admin configuration API and the Watch stream, against a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigurationApiTests(PostgresFixture postgres)
{
    private readonly AdminHost _admin = postgres.Admin;

    [Fact]
    public async Task An_admin_puts_and_reads_back_a_section_with_its_version()
    {
        var first = await _admin.PutAsync("acme", ConfigSections.RoutingRules,
            """{"default_group":"general","rules":[{"name":"vip","match":{"customer_tiers":["vip"]},"skill_group":"vip","priority":80}]}""");
        var second = await _admin.PutAsync("acme", ConfigSections.RoutingRules, """{"default_group":"sales"}""");

        using var response = await _admin.SendAsync(HttpMethod.Get, "/api/admin/config/routing_rules", "acme", Roles.Supervisor);
        var json = await response.Content.ReadAsStringAsync();

        Assert.True(second > first);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"{second}\"", response.Headers.ETag?.Tag);
        var document = JsonDocument.Parse(json).RootElement;
        Assert.Equal("sales", document.GetProperty("default_group").GetString());
        Assert.Equal(5, document.GetProperty("default_agent_capacity").GetInt32());
        Assert.Equal(0, document.GetProperty("rules").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_field_is_a_problem_naming_it_and_changes_nothing()
    {
        var before = await _admin.PutAsync("typo", ConfigSections.FeatureFlags, """{"flags":[{"key":"a","enabled":true}]}""");

        using var response = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/feature_flags", "typo", Roles.Admin,
            """{"flags":[{"key":"a","enabled":false,"precentage":10}]}""");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty("flags[0].precentage", out _), problem.ToString());
        await AssertUnchangedAsync("typo", ConfigSections.FeatureFlags, before);
    }

    [Fact]
    public async Task An_invalid_rule_is_a_validation_problem_and_changes_nothing()
    {
        var before = await _admin.PutAsync("strict", ConfigSections.RoutingRules, """{"default_group":"general"}""");

        using var response = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/routing_rules", "strict", Roles.Admin,
            """{"rules":[{"name":"a","skill_group":"vip","priority":500,"overflow":{"after_seconds":0,"to_group":"vip"}}]}""");
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        using var malformed = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/routing_rules", "strict", Roles.Admin, """{"rules":[{"name":"a",""");
        using var wrongType = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/routing_rules", "strict", Roles.Admin, """{"rules":[{"priority":"high"}]}""");
        var wrongTypeErrors = JsonDocument.Parse(await wrongType.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["rules[0].overflow.after_seconds", "rules[0].overflow.to_group", "rules[0].priority"],
            errors.EnumerateObject().Select(e => e.Name).Order());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.True(wrongTypeErrors.TryGetProperty("rules[0].priority", out _), wrongTypeErrors.ToString());
        await AssertUnchangedAsync("strict", ConfigSections.RoutingRules, before);
    }

    [Fact]
    public async Task Only_admins_write_supervisors_read_and_strangers_are_turned_away()
    {
        var before = await _admin.PutAsync("roles", ConfigSections.SensitiveWords, """{"lists":[{"name":"a","policy":"mask","words":["笨蛋"]}]}""");
        const string change = """{"lists":[]}""";

        using var agentPut = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/sensitive_words", "roles", Roles.Agent, change);
        using var supervisorPut = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/sensitive_words", "roles", Roles.Supervisor, change);
        using var visitorDelete = await _admin.SendAsync(HttpMethod.Delete, "/api/admin/config/sensitive_words", "roles", Roles.Visitor);
        using var agentGet = await _admin.SendAsync(HttpMethod.Get, "/api/admin/config/sensitive_words", "roles", Roles.Agent);
        using var supervisorGet = await _admin.SendAsync(HttpMethod.Get, "/api/admin/config/sensitive_words", "roles", Roles.Supervisor);
        using var anonymous = await _admin.Http.PutAsync("/api/admin/config/sensitive_words", new StringContent(change, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Forbidden, agentPut.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, supervisorPut.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, visitorDelete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, agentGet.StatusCode);
        Assert.Equal(HttpStatusCode.OK, supervisorGet.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await AssertUnchangedAsync("roles", ConfigSections.SensitiveWords, before);
    }

    [Fact]
    public async Task A_tenant_sees_and_changes_only_its_own_documents()
    {
        await _admin.PutAsync("tenant-a", ConfigSections.CannedReplies, """{"groups":[{"name":"g","replies":[{"shortcut":"/a","text":"A 的回复"}]}]}""");

        using var otherRead = await _admin.SendAsync(HttpMethod.Get, "/api/admin/config/canned_replies", "tenant-b", Roles.Admin);
        using var otherSearch = await _admin.SendAsync(HttpMethod.Get, "/api/admin/canned-replies/search?q=/a", "tenant-b", Roles.Agent);
        using var ownSearch = await _admin.SendAsync(HttpMethod.Get, "/api/admin/canned-replies/search?q=/a", "tenant-a", Roles.Agent);
        using var otherPlatform = await _admin.SendAsync(HttpMethod.Put, "/api/admin/platform/config/feature_flags", "tenant-b", Roles.Admin, """{"flags":[]}""");

        Assert.Equal("\"0\"", otherRead.Headers.ETag?.Tag);
        Assert.Equal(0, JsonDocument.Parse(await otherRead.Content.ReadAsStringAsync()).RootElement.GetProperty("groups").GetArrayLength());
        Assert.Equal("[]", await otherSearch.Content.ReadAsStringAsync());
        Assert.Contains("A 的回复", await ownSearch.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, otherPlatform.StatusCode);
    }

    [Fact]
    public async Task Every_write_is_audited_with_who_when_old_and_new()
    {
        await _admin.PutAsync("audited", ConfigSections.Faq, """{"entries":[{"id":"1","question":"运费？","answer":"包邮"}]}""");
        var second = await _admin.PutAsync("audited", ConfigSections.Faq, """{"entries":[{"id":"1","question":"运费？","answer":"满99包邮"}]}""");
        using var delete = await _admin.SendAsync(HttpMethod.Delete, "/api/admin/config/faq", "audited", Roles.Admin);

        using var response = await _admin.SendAsync(HttpMethod.Get, "/api/admin/config/audit?section=faq", "audited", Roles.Admin);
        var entries = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        using var otherTenant = await _admin.SendAsync(HttpMethod.Get, "/api/admin/config/audit", "someone-else", Roles.Admin);

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(["delete", "put", "put"], entries.Select(e => e.GetProperty("action").GetString()));
        var update = entries[1];
        Assert.Equal(second, update.GetProperty("version").GetInt64());
        Assert.Equal("admin-of-audited", update.GetProperty("actorId").GetString());
        Assert.Equal("admin", update.GetProperty("actorRole").GetString());
        Assert.Equal("测试 用户", update.GetProperty("actorName").GetString());
        Assert.Contains("包邮", update.GetProperty("oldDocument").GetString());
        Assert.Contains("满99包邮", update.GetProperty("newDocument").GetString());
        Assert.True(update.GetProperty("changedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(JsonValueKind.Null, entries[0].GetProperty("newDocument").ValueKind);
        Assert.Equal("[]", await otherTenant.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_stale_if_match_is_refused_and_an_identical_put_is_no_change()
    {
        var version = await _admin.PutAsync("etag", ConfigSections.TenantSettings, """{"time_zone":"Asia/Shanghai"}""");
        var again = await _admin.PutAsync("etag", ConfigSections.TenantSettings, """{"time_zone":"Asia/Shanghai"}""");

        using var stale = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/tenant_settings", "etag", Roles.Admin,
            """{"time_zone":"UTC"}""", ifMatch: $"\"{version - 1}\"");
        using var current = await _admin.SendAsync(HttpMethod.Put, "/api/admin/config/tenant_settings", "etag", Roles.Admin,
            """{"time_zone":"Europe/Paris"}""", ifMatch: $"\"{version}\"");

        Assert.Equal(version, again);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_sections_in_their_wire_names()
    {
        using var response = await _admin.Http.GetAsync("/openapi/v1.json");
        var json = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(json).RootElement;
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/admin/config/routing_rules", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("RoutingRule").GetProperty("properties").TryGetProperty("skill_group", out _), json);
        Assert.Contains("block", schemas.GetProperty("WordPolicy").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Watch_sends_a_snapshot_of_the_requested_sections_then_each_change()
    {
        var words = await _admin.PutAsync("watched", ConfigSections.SensitiveWords, """{"lists":[{"name":"x","policy":"block","words":["诈骗"]}]}""");
        await _admin.PutAsync("watched", ConfigSections.Faq, """{"entries":[]}""");
        using var channel = GrpcChannel.ForAddress(_admin.GrpcAddress);
        var client = new ConfigStream.ConfigStreamClient(channel);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        using var call = client.Watch(new WatchRequest { Sections = { ConfigSections.SensitiveWords }, Subscriber = "test" }, cancellationToken: timeout.Token);
        var snapshot = new List<ConfigChange>();
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            snapshot.Add(call.ResponseStream.Current);
            if (call.ResponseStream.Current.SnapshotComplete) break;
        }
        var changed = await _admin.PutAsync("watched", ConfigSections.SensitiveWords, """{"lists":[]}""");
        await _admin.PutAsync("watched", ConfigSections.Faq, """{"entries":[{"id":"a","question":"q","answer":"a"}]}""");
        var deleted = await DeleteAsync("watched", ConfigSections.SensitiveWords);
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        var next = call.ResponseStream.Current;
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        var removal = call.ResponseStream.Current;

        Assert.All(snapshot, c => Assert.True(c.Snapshot));
        Assert.DoesNotContain(snapshot, c => c.Section == ConfigSections.Faq);
        var watched = Assert.Single(snapshot, c => c.TenantId == "watched");
        Assert.Equal(words, watched.Version);
        Assert.Contains("诈骗", watched.Json);
        Assert.True(snapshot[^1].Version >= words);
        Assert.Equal((changed, "watched", ConfigSections.SensitiveWords, false), (next.Version, next.TenantId, next.Section, next.Snapshot));
        Assert.Equal((deleted, ""), (removal.Version, removal.Json));
    }

    [Fact]
    public async Task Watch_resumes_after_a_version_with_only_what_changed_since()
    {
        var before = await _admin.PutAsync("resume", ConfigSections.BotRules, """{"welcome_message":"一"}""");
        var missed1 = await _admin.PutAsync("resume", ConfigSections.BotRules, """{"welcome_message":"二"}""");
        var missed2 = await _admin.PutAsync("resume", ConfigSections.BotRules, """{"welcome_message":"三"}""");
        using var channel = GrpcChannel.ForAddress(_admin.GrpcAddress);
        var client = new ConfigStream.ConfigStreamClient(channel);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        using var resumed = client.Watch(new WatchRequest { Sections = { ConfigSections.BotRules }, AfterVersion = before }, cancellationToken: timeout.Token);
        var received = new List<ConfigChange>();
        while (received.Count < 2 && await resumed.ResponseStream.MoveNext(timeout.Token)) received.Add(resumed.ResponseStream.Current);
        using var fromTheFuture = client.Watch(new WatchRequest { Sections = { ConfigSections.BotRules }, AfterVersion = missed2 + 1_000_000 }, cancellationToken: timeout.Token);
        Assert.True(await fromTheFuture.ResponseStream.MoveNext(timeout.Token));
        var unknownSection = client.Watch(new WatchRequest { Sections = { "routing" } }, cancellationToken: timeout.Token);
        var error = await Assert.ThrowsAsync<RpcException>(() => unknownSection.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal([missed1, missed2], received.Select(c => c.Version));
        Assert.All(received, c => Assert.False(c.Snapshot));
        Assert.Contains("三", received[1].Json);
        Assert.True(fromTheFuture.ResponseStream.Current.Snapshot);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private async Task<long> DeleteAsync(string tenant, string section)
    {
        using var response = await _admin.SendAsync(HttpMethod.Delete, $"/api/admin/config/{section}", tenant, Roles.Admin);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var audit = await _admin.SendAsync(HttpMethod.Get, $"/api/admin/config/audit?section={section}&limit=1", tenant, Roles.Admin);
        return JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement[0].GetProperty("version").GetInt64();
    }

    private async Task AssertUnchangedAsync(string tenant, string section, long version)
    {
        using var response = await _admin.SendAsync(HttpMethod.Get, $"/api/admin/config/{section}", tenant, Roles.Admin);
        Assert.Equal($"\"{version}\"", response.Headers.ETag?.Tag);
    }
}
