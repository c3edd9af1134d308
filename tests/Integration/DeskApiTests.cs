using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CustomerService.TestInfrastructure;

namespace CustomerService.Integration;

/// <summary>
/// The console's queue and agent directory through the gateway (GET /api/routing/queue and /api/routing/agents,
/// Routing's desk API under the desk-read policy): agents read their own tenant's, customers and anonymous callers
/// are refused, and the tenant is the token's whatever the request says.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DeskApiTests(PlatformFixture platform)
{
    private async Task<(HttpStatusCode Status, JsonNode? Body, string? Type)> GetAsync(string path, string? token, Action<HttpRequestMessage>? more = null,
        HttpMethod? method = null)
    {
        using var gateway = platform.Gateway();
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        more?.Invoke(request);
        using var response = await gateway.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonNode.Parse(text) : null,
            response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_agent_sees_a_waiting_conversation_of_their_tenant_in_the_queue_and_the_directory_with_presence()
    {
        var (aliceToken, aliceId) = await platform.LoginAsync("alice", "alice123");
        var (_, bobId) = await platform.LoginAsync("bob", "bob123");
        await using var alice = await platform.AgentSocketAsync(aliceToken);
        // Away: alice keeps nothing and gets nothing, so the customer waits.
        await alice.SendAsync(new { type = "hello", status = "away" });
        await alice.ExpectAsync("welcome");
        await alice.SendAsync(new { type = "ping" });
        await alice.ExpectAsync("pong");

        var (visitorToken, visitorId) = await platform.VisitorAsync();
        await using var customer = await platform.CustomerSocketAsync(visitorToken);
        await customer.SendAsync(new { type = "hello" });
        await customer.ExpectAsync("welcome");
        await customer.SendAsync(new { type = "message", clientId = "q-1", text = "anyone there?", entryPage = "/shop/", language = "en" });
        var conversationId = (string)(await customer.ExpectAsync("ack"))["conversationId"]!;
        try
        {
            var queue = await Eventually.GetAsync(async () =>
            {
                var (status, body, _) = await GetAsync("/api/routing/queue", aliceToken);
                Assert.Equal(HttpStatusCode.OK, status);
                return body!;
            }, body => body["conversations"]!.AsArray().Any(c => (string?)c!["conversationId"] == conversationId),
                $"{conversationId} in alice's queue", ChatClient.Patience, TimeSpan.FromMilliseconds(250));
            var waiting = queue["conversations"]!.AsArray().First(c => (string?)c!["conversationId"] == conversationId);
            Assert.Equal((visitorId, "/shop/", "en"), ((string?)waiting!["visitorId"], (string?)waiting["entryPage"], (string?)waiting["language"]));
            var listed = (await GetAsync("/api/routing/queue", aliceToken)).Body!["skillGroups"]!.AsArray().Select(g => (string)g!).ToList();
            Assert.Contains((string)waiting["skillGroup"]!, listed); // an agent's queue is that of their skill groups

            var (rosterStatus, roster, _) = await GetAsync("/api/routing/agents", aliceToken);
            Assert.Equal(HttpStatusCode.OK, rosterStatus);
            Assert.True((bool)roster!["hasDirectory"]!);
            var people = roster["agents"]!.AsArray();
            var aliceRow = people.Single(a => (string?)a!["id"] == aliceId)!;
            Assert.Equal(("Alice", "away", false), ((string?)aliceRow["displayName"], (string?)aliceRow["status"], (bool)aliceRow["accepting"]!));
            Assert.Contains(people, a => (string?)a!["id"] == bobId);
            Assert.DoesNotContain("capacity", roster.ToJsonString());
            Assert.DoesNotContain("password", roster.ToJsonString());

            // The tenant is the token's: another one named in the query is refused, one sent as a header is overwritten.
            Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("/api/routing/queue?tenant=other", aliceToken)).Status);
            var spoofed = await GetAsync("/api/routing/queue", aliceToken, r => r.Headers.Add("X-CS-Tenant", "other"));
            Assert.Contains(spoofed.Body!["conversations"]!.AsArray(), c => (string?)c!["conversationId"] == conversationId);
        }
        finally
        {
            await customer.SendAsync(new { type = "end", conversationId, reason = "test over" });
            await alice.SendAsync(new { type = "presence", status = "offline" });
            await alice.SendAsync(new { type = "ping" });
            await alice.ExpectAsync("pong", timeout: TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task Customers_anonymous_callers_writes_and_bad_input_are_refused_with_problem_details()
    {
        var (visitorToken, _) = await platform.VisitorAsync();
        foreach (var path in new[] { "/api/routing/queue", "/api/routing/agents" })
        {
            var customer = await GetAsync(path, visitorToken);
            Assert.Equal(HttpStatusCode.Forbidden, customer.Status);
            Assert.Equal("application/problem+json", customer.Type);
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(path, token: null)).Status);
        }
        var (aliceToken, _) = await platform.LoginAsync("alice", "alice123");
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("/api/routing/queue", aliceToken, method: HttpMethod.Post)).Status);

        var badLimit = await GetAsync("/api/routing/queue?limit=0", aliceToken);
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (badLimit.Status, badLimit.Type));
        Assert.NotNull(badLimit.Body!["errors"]!["limit"]);
        var foreignGroup = await GetAsync("/api/routing/queue?group=no-such-group", aliceToken);
        Assert.Equal(HttpStatusCode.Forbidden, foreignGroup.Status);
        Assert.Contains("skill groups", (string)foreignGroup.Body!["detail"]!);
    }
}
