using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Xunit;
using static CustomerService.Webhooks.Tests.WebhookFixture;

namespace CustomerService.Webhooks.Tests;

[Collection(WebhookCollection.Name)]
public sealed class ApiTests(WebhookFixture fixture)
{
    private static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString());
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<string[]> InvalidFieldsAsync(HttpClient api, object body)
    {
        using var response = await api.PostAsJsonAsync("/api/admin/webhooks", body);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        return problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();
    }

    [Fact]
    public async Task Invalid_webhooks_are_refused_with_a_problem_naming_the_field()
    {
        using var api = fixture.Host.Api(NewTenant("t-valid"));
        string[] events = ["message_created"];
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { events }));
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { url = "", events }));
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { url = "/relative/path", events }));
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { url = "ftp://example.com/hook", events }));
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { url = "javascript:alert(1)", events }));
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { url = "https://user:pw@example.com/hook", events }));
        Assert.Equal(["url"], await InvalidFieldsAsync(api, new { url = "https://example.com/" + new string('a', 2001), events }));
        Assert.Equal(["events"], await InvalidFieldsAsync(api, new { url = "https://example.com/hook" }));
        Assert.Equal(["events"], await InvalidFieldsAsync(api, new { url = "https://example.com/hook", events = Array.Empty<string>() }));
        Assert.Equal(["events[1]"], await InvalidFieldsAsync(api, new { url = "https://example.com/hook", events = new[] { "message_created", "message_deleted" } }));
        Assert.Equal(["description"], await InvalidFieldsAsync(api, new { url = "https://example.com/hook", events, description = new string('d', 201) }));
        Assert.Equal(["secret"], await InvalidFieldsAsync(api, new { url = "https://example.com/hook", events, secret = "mine" }));
        Assert.Equal(["enabled"], await InvalidFieldsAsync(api, new { url = "https://example.com/hook", events, enabled = "yes" }));
        Assert.Equal(["url", "events"], await InvalidFieldsAsync(api, new { url = "nope" }));

        using (var text = await api.PostAsync("/api/admin/webhooks", new StringContent("{}", Encoding.UTF8, "text/plain")))
            await ProblemAsync(text, HttpStatusCode.UnsupportedMediaType);
        using (var badQuery = await api.GetAsync("/api/admin/webhooks/deliveries?state=lost&limit=0&webhook_id=x"))
            Assert.Equal(["webhook_id", "state", "limit"],
                (await ProblemAsync(badQuery, HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
        // Nothing was stored.
        Assert.Equal(0, (await api.GetFromJsonAsync<JsonElement>("/api/admin/webhooks")).GetArrayLength());
    }

    [Fact]
    public async Task Admins_register_update_and_delete_webhooks_and_the_secret_is_shown_only_to_admins()
    {
        var tenant = NewTenant("t-crud");
        using var admin = fixture.Host.Api(tenant);
        using var supervisor = fixture.Host.Api(tenant, role: Roles.Supervisor, user: "carol");
        using var agent = fixture.Host.Api(tenant, role: Roles.Agent, user: "alice");
        using var anonymous = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        Assert.Equal(["conversation_created", "conversation_status_changed", "conversation_updated", "message_created"],
            (await admin.GetFromJsonAsync<string[]>("/api/admin/webhooks/events"))!);

        using var created = await admin.PostAsJsonAsync("/api/admin/webhooks",
            new { url = "https://hooks.example.com/cs", events = new[] { "message_created", "message_created", "conversation_created" }, description = "CRM sync" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var webhook = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = webhook.GetProperty("id").GetGuid();
        var secret = webhook.GetProperty("secret").GetString()!;
        Assert.Matches("^whsec_[0-9a-f]{64}$", secret);
        Assert.Equal(["message_created", "conversation_created"], webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.True(webhook.GetProperty("enabled").GetBoolean());

        // Listed and read without the secret, by admins and supervisors; agents and anonymous callers are refused.
        var listed = await supervisor.GetFromJsonAsync<JsonElement>("/api/admin/webhooks");
        Assert.Equal(id, listed.EnumerateArray().Single().GetProperty("id").GetGuid());
        Assert.False(listed[0].TryGetProperty("secret", out _));
        Assert.DoesNotContain(secret, await supervisor.GetStringAsync($"/api/admin/webhooks/{id}"));
        await ProblemAsync(await agent.GetAsync("/api/admin/webhooks"), HttpStatusCode.Forbidden);
        await ProblemAsync(await anonymous.GetAsync("/api/admin/webhooks"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await supervisor.GetAsync($"/api/admin/webhooks/{id}/secret"), HttpStatusCode.Forbidden);
        await ProblemAsync(await supervisor.PostAsJsonAsync("/api/admin/webhooks", new { url = "https://x.example.com", events = new[] { "message_created" } }),
            HttpStatusCode.Forbidden);

        // Admins read the secret again, and rotate it.
        Assert.Equal(secret, (await admin.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}/secret")).GetProperty("secret").GetString());
        using (var rotated = await admin.PostAsync($"/api/admin/webhooks/{id}/secret", null))
        {
            var fresh = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString();
            Assert.NotEqual(secret, fresh);
            Assert.Equal(fresh, (await admin.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}/secret")).GetProperty("secret").GetString());
        }

        // PUT replaces; invalid PUTs are refused like POSTs.
        using (var put = await admin.PutAsJsonAsync($"/api/admin/webhooks/{id}",
                   new { url = "http://hooks.example.com/v2", events = new[] { "conversation_updated" }, enabled = false }))
        {
            var updated = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("http://hooks.example.com/v2", updated.GetProperty("url").GetString());
            Assert.False(updated.GetProperty("enabled").GetBoolean());
            Assert.Equal("", updated.GetProperty("description").GetString());
        }
        using (var badPut = await admin.PutAsJsonAsync($"/api/admin/webhooks/{id}", new { url = "hooks.example.com", events = new[] { "message_created" } }))
            Assert.Equal(["url"], (await ProblemAsync(badPut, HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Select(p => p.Name));

        using (var deleted = await admin.DeleteAsync($"/api/admin/webhooks/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAsync(await admin.GetAsync($"/api/admin/webhooks/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await admin.DeleteAsync($"/api/admin/webhooks/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_tenants_webhooks_are_never_listed_changed_or_delivered_to()
    {
        var a = NewTenant("t-iso-a");
        var b = NewTenant("t-iso-b");
        using var apiA = fixture.Host.Api(a);
        using var apiB = fixture.Host.Api(b);
        var (hookA, _) = await RegisterAsync(apiA, fixture.Receiver.Url("iso-" + a), "message_created", "conversation_created");
        var (hookB, _) = await RegisterAsync(apiB, fixture.Receiver.Url("iso-" + b), "message_created", "conversation_created");

        var listedA = await apiA.GetFromJsonAsync<JsonElement>("/api/admin/webhooks");
        Assert.Equal([hookA], listedA.EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));
        await ProblemAsync(await apiA.GetAsync($"/api/admin/webhooks/{hookB}"), HttpStatusCode.NotFound);
        await ProblemAsync(await apiA.GetAsync($"/api/admin/webhooks/{hookB}/secret"), HttpStatusCode.NotFound);
        await ProblemAsync(await apiA.PostAsync($"/api/admin/webhooks/{hookB}/secret", null), HttpStatusCode.NotFound);
        await ProblemAsync(await apiA.PutAsJsonAsync($"/api/admin/webhooks/{hookB}",
            new { url = fixture.Receiver.Url("stolen"), events = new[] { "message_created" } }), HttpStatusCode.NotFound);
        await ProblemAsync(await apiA.DeleteAsync($"/api/admin/webhooks/{hookB}"), HttpStatusCode.NotFound);

        // B's events reach B's webhook only, A's reach A's only.
        var conversationB = "c-" + Guid.NewGuid().ToString("N")[..8];
        var conversationA = "c-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.PublishAsync(Event(b, conversationB, ConversationState.New, e => e.Started = new ConversationStarted()));
        await fixture.PublishAsync(Message(b, conversationB, 1, "for b"));
        await fixture.PublishAsync(Message(a, conversationA, 1, "for a"));
        await Eventually.UntilAsync(() => fixture.Receiver.At("iso-" + b).Count >= 2 && fixture.Receiver.At("iso-" + a).Count >= 1,
            "each tenant's webhooks delivered to", TimeSpan.FromSeconds(20));
        await Task.Delay(300); // absence: a delivery to the wrong tenant's webhook would arrive within this
        Assert.Equal(2, fixture.Receiver.At("iso-" + b).Count);
        Assert.All(fixture.Receiver.At("iso-" + b), r => Assert.Contains($"\"tenant\":\"{b}\"", r.Text));
        var atA = Assert.Single(fixture.Receiver.At("iso-" + a));
        Assert.Contains($"\"tenant\":\"{a}\"", atA.Text);
        Assert.Empty(fixture.Receiver.At("stolen"));

        // Deliveries are the tenant's own too.
        var deliveriesA = await apiA.GetFromJsonAsync<JsonElement>("/api/admin/webhooks/deliveries");
        Assert.Equal([hookA], deliveriesA.EnumerateArray().Select(d => d.GetProperty("webhook_id").GetGuid()).Distinct());
        var deliveryOfB = fixture.Receiver.At("iso-" + b)[0].DeliveryId;
        await ProblemAsync(await apiA.GetAsync($"/api/admin/webhooks/deliveries/{deliveryOfB}"), HttpStatusCode.NotFound);
        await ProblemAsync(await apiA.PostAsync($"/api/admin/webhooks/deliveries/{deliveryOfB}/replay", null), HttpStatusCode.NotFound);
        await ProblemAsync(await apiA.DeleteAsync($"/api/admin/webhooks/deliveries/{deliveryOfB}"), HttpStatusCode.NotFound);
        await Task.Delay(200); // absence: a replay A's refused request had started anyway would arrive within this
        Assert.Equal(2, fixture.Receiver.At("iso-" + b).Count);
    }

    [Fact]
    public async Task Disabled_and_deleted_webhooks_get_nothing()
    {
        var tenant = NewTenant("t-off");
        using var api = fixture.Host.Api(tenant);
        var (off, _) = await RegisterAsync(api, fixture.Receiver.Url("off-" + tenant), "message_created");
        var (gone, _) = await RegisterAsync(api, fixture.Receiver.Url("gone-" + tenant), "message_created");
        var (on, _) = await RegisterAsync(api, fixture.Receiver.Url("on-" + tenant), "message_created");
        using (var put = await api.PutAsJsonAsync($"/api/admin/webhooks/{off}", new { url = fixture.Receiver.Url("off-" + tenant), events = new[] { "message_created" }, enabled = false }))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var delete = await api.DeleteAsync($"/api/admin/webhooks/{gone}"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        await fixture.PublishAsync(Message(tenant, "c-" + Guid.NewGuid().ToString("N")[..8], 1, "hello"));
        await Eventually.UntilAsync(() => fixture.Receiver.At("on-" + tenant).Count == 1, "the enabled webhook delivered to",
            TimeSpan.FromSeconds(20));
        await Task.Delay(300); // absence: a delivery to the disabled or deleted webhook would arrive within this
        Assert.Empty(fixture.Receiver.At("off-" + tenant));
        Assert.Empty(fixture.Receiver.At("gone-" + tenant));
        Assert.Equal([on], (await api.GetFromJsonAsync<JsonElement>("/api/admin/webhooks/deliveries")).EnumerateArray()
            .Select(d => d.GetProperty("webhook_id").GetGuid()));
    }
}
