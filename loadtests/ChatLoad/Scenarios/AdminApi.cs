using System.Net.Http.Headers;
using System.Text;

namespace CustomerService.ChatLoad.Scenarios;

/// <summary>
/// Admin's configuration API through the gateway (<c>PUT/DELETE /api/admin/config/{section}</c>, docs/configuration.md),
/// as an admin of one tenant whose token the tool signs with the local dev key, like its agents'. The tool configures
/// only tenants of its own run, and takes their documents back out at the end.
/// </summary>
public sealed class AdminApi(Uri gateway, string adminToken) : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = gateway,
        Timeout = TimeSpan.FromSeconds(15),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", adminToken) },
    };

    /// <summary>Replaces the tenant's document of <paramref name="section"/>; throws with Admin's answer when refused.</summary>
    public async Task PutAsync(string section, string document, CancellationToken ct)
    {
        using var response = await _http.PutAsync($"/api/admin/config/{section}", new StringContent(document, Encoding.UTF8, "application/json"), ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"PUT /api/admin/config/{section}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    /// <summary>Back to the defaults; false (not thrown) when Admin refused: a cleanup must not fail the run.</summary>
    public async Task<bool> DeleteAsync(string section)
    {
        try
        {
            using var response = await _http.DeleteAsync($"/api/admin/config/{section}");
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// The bot-first tenant of the bot-handoff journey: its documents (written at the start of a run, deleted at its end)
/// and the texts its visitors send. The answer comes from a keyword rule (rules first: deterministic, whatever the
/// FAQ model would say); the FAQ holds the same question so the tenant looks like a real one. No welcome message,
/// so the bot's first message is its answer.
/// </summary>
public static class BotTenant
{
    public const string Question = "How long does shipping take?";
    public const string Answer = "Orders arrive in 3-5 business days.";
    public const string AskForPerson = "I want to talk to a human please";

    public const string TenantSettings = """
        { "bot_first": true, "time_zone": "UTC",
          "handoff": { "max_bot_turns": 3, "min_bot_confidence": 0.6, "keywords": ["人工", "转人工", "human"] } }
        """;

    public const string BotRules = $$"""
        { "welcome_message": "",
          "rules": [ { "name": "shipping-time", "kind": "keyword", "patterns": ["shipping", "发货"], "priority": 10,
                       "answer": "{{Answer}}" } ] }
        """;

    public const string Faq = $$"""
        { "entries": [ { "id": "shipping-time", "question": "{{Question}}", "answer": "{{Answer}}" },
                       { "id": "returns", "question": "How do I return an item?", "answer": "Start a return from My Orders within 30 days." } ] }
        """;

    /// <summary>In the order they are written; deleted in reverse (bot_first off first).</summary>
    public static readonly IReadOnlyList<(string Section, string Document)> Documents =
        [("bot_rules", BotRules), ("faq", Faq), ("tenant_settings", TenantSettings)];
}

/// <summary>
/// The routing rule the admin-rule-change journey writes mid-run into the run's tenant: conversations that enter from
/// <see cref="EntryPage"/> go to <see cref="Group"/> (the tool's agents are in it as well as in general).
/// </summary>
public static class RuleChange
{
    public const string EntryPage = "/load/after-sales";
    public const string Group = "after-sales";
    public const string DefaultGroup = "general";

    public const string Document = $$"""
        { "default_group": "{{DefaultGroup}}", "default_agent_capacity": 5,
          "rules": [ { "name": "load-after-sales", "match": { "entry_pages": ["{{EntryPage}}"] }, "skill_group": "{{Group}}" } ] }
        """;
}
