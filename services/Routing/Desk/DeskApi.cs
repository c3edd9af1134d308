using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerService.Contracts;
using CustomerService.Routing.Dispatch;

namespace CustomerService.Routing.Desk;

/// <summary>One waiting conversation as the console shows it.</summary>
public sealed record QueueEntry(string ConversationId, string SkillGroup, int Position, string Band, DateTimeOffset QueuedAt,
    long WaitingSeconds, string? VisitorId, string? CustomerName, string? Language, string? EntryPage, string? CustomerTier);

/// <summary>The answer of GET /api/routing/queue.</summary>
public sealed record QueueView(IReadOnlyList<QueueEntry> Conversations, int Total, IReadOnlyList<string>? SkillGroups, DateTimeOffset AsOf);

/// <summary>One person of the tenant's directory as the transfer picker shows them.</summary>
public sealed record RosterEntry(string Id, string DisplayName, string Role, IReadOnlyList<string> SkillGroups, string Status, bool Accepting);

/// <summary>The answer of GET /api/routing/agents.</summary>
public sealed record RosterView(IReadOnlyList<RosterEntry> Agents, bool HasDirectory);

/// <summary>
/// Routing's read-only HTTP API for the agent console, behind the gateway's <c>desk-read</c> policy: the queue
/// (<c>GET /api/routing/queue</c>) and the agent directory with presence (<c>GET /api/routing/agents</c>). The tenant
/// comes from the gateway's identity headers only. Agents see the queues of their own skill groups; supervisors
/// and admins every queue of the tenant.
/// </summary>
public static class DeskApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IEndpointRouteBuilder MapDeskApi(this IEndpointRouteBuilder app)
    {
        var desk = app.MapGroup("/api/routing").WithTags("Desk");
        desk.MapGet("/queue", QueueAsync).WithSummary("The conversations waiting in the caller's queues, best first");
        desk.MapGet("/agents", AgentsAsync).WithSummary("The tenant's agents with their presence, for transfers");
        return app;
    }

    private static async Task<IResult> QueueAsync(HttpRequest request, Dispatcher dispatcher, AgentRoster roster, TimeProvider time,
        CancellationToken ct)
    {
        if (Authorize(request, out var caller) is { } denied) return denied;
        var errors = new Dictionary<string, string[]>();
        var limit = DefaultLimit;
        var limitText = request.Query["limit"].ToString();
        if (limitText.Length > 0 && (!int.TryParse(limitText, out limit) || limit is < 1 or > MaxLimit))
            errors["limit"] = [$"must be a whole number between 1 and {MaxLimit}."];
        var asked = request.Query["group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).Distinct(StringComparer.Ordinal).ToList();
        if (asked.Count > 100) errors["group"] = ["name at most 100 skill groups."];
        foreach (var group in asked)
            if (RoutingId.Problem("group", group) is { } problem) { errors["group"] = [problem + "."]; break; }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The queue request is not valid");

        List<string>? groups = asked.Count > 0 ? asked : null;
        if (!caller.IsSupervisorOrAdmin)
        {
            var own = await OwnGroupsAsync(caller, dispatcher, roster, ct);
            var foreign = asked.Where(g => !own.Contains(g)).ToList();
            if (foreign.Count > 0)
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not one of your skill groups",
                    detail: $"Agents see the queues of their own skill groups ({(own.Count == 0 ? "none" : string.Join(", ", own))}), not {string.Join(", ", foreign)}.");
            groups = asked.Count > 0 ? asked : [.. own];
        }

        var reply = await dispatcher.ListQueueAsync(caller.TenantId, groups, "", limit, ct);
        var now = time.GetUtcNow();
        var entries = reply.Conversations.Select(c =>
        {
            var queuedAt = DateTimeOffset.FromUnixTimeMilliseconds(c.QueuedAtUnixMs > 0 ? c.QueuedAtUnixMs : c.CreatedAtUnixMs);
            return new QueueEntry(c.ConversationId, c.SkillGroup, c.Position, BandName(c.Band), queuedAt,
                Math.Max(0, (long)(now - queuedAt).TotalSeconds), Text(c.VisitorId), Text(c.CustomerName), Text(c.Language),
                Text(c.EntryPage), Text(c.CustomerTier));
        }).ToList();
        return TypedResults.Json(new QueueView(entries, reply.Total, groups, now), Json);
    }

    private static async Task<IResult> AgentsAsync(HttpRequest request, AgentRoster roster, CancellationToken ct)
    {
        if (Authorize(request, out var caller) is { } denied) return denied;
        var reply = await roster.ListAsync(caller.TenantId, ct);
        var agents = reply.Agents.Select(a => new RosterEntry(a.AgentId, a.DisplayName, a.Role, [.. a.SkillGroups],
            a.Status switch { AgentStatus.Online => "online", AgentStatus.Away => "away", _ => "offline" }, a.Accepting)).ToList();
        return TypedResults.Json(new RosterView(agents, reply.HasDirectory), Json);
    }

    /// <summary>
    /// The agent's skill groups: those Routing routes it by (its last presence), else those the directory configures,
    /// else those of its token.
    /// </summary>
    private static async Task<HashSet<string>> OwnGroupsAsync(GatewayCaller caller, Dispatcher dispatcher, AgentRoster roster, CancellationToken ct)
    {
        IEnumerable<string> groups = RoutingId.IsValid(caller.UserId) ? await dispatcher.AgentGroupsAsync(caller.TenantId, caller.UserId, ct) : [];
        if (!groups.Any()) groups = roster.ConfiguredGroups(caller.TenantId, caller.UserId);
        if (!groups.Any()) groups = caller.SkillGroups;
        return [.. groups.Where(RoutingId.IsValid)];
    }

    private static IResult? Authorize(HttpRequest request, out GatewayCaller caller)
    {
        caller = GatewayCaller.From(request)!;
        if (caller is null) return GatewayCaller.NotSignedIn();
        if (!RoutingId.IsValid(caller.TenantId))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a tenant Routing knows",
                detail: RoutingId.Problem("tenant", caller.TenantId));
        if (caller.Role is not (Roles.Agent or Roles.Supervisor or Roles.Admin))
            return GatewayCaller.NotAllowed("Only agents, supervisors and admins read the queue and the agent directory.");
        return null;
    }

    private static string BandName(WaitingBand band) => band switch
    {
        WaitingBand.Returning => "returning",
        WaitingBand.Priority => "priority",
        _ => "normal",
    };

    private static string? Text(string value) => value.Length == 0 ? null : value;
}
