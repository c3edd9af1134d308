using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using CustomerService.Admin.Accounts;
using CustomerService.Admin.Configuration;
using CustomerService.Contracts;
using Microsoft.AspNetCore.Identity;

namespace CustomerService.Admin.Agents;

/// <summary>Body of POST /api/admin/agents and PUT /api/admin/agents/{id} (a PUT replaces every field; no password keeps it).</summary>
public sealed record AgentWrite
{
    public string? Login { get; init; }
    public string? DisplayName { get; init; }
    public string? Password { get; init; }
    public string? Role { get; init; }
    public string[]? SkillGroups { get; init; }
    /// <summary>Conversations at once, 1..1000; null: the tenant's routing_rules.default_agent_capacity.</summary>
    public int? Capacity { get; init; }
    public bool? Active { get; init; }
}

/// <summary>Body of POST /api/admin/skill-groups (name required) and PUT /api/admin/skill-groups/{name} (name from the path).</summary>
public sealed record SkillGroupWrite
{
    public string? Name { get; init; }
    public string? DisplayName { get; init; }
    public string? Description { get; init; }
}

/// <summary>
/// Agents (accounts: login, password, role, skill groups, capacity, active) and skill groups of the caller's
/// tenant. Admins write, supervisors read. Every write is validated (ValidationProblem keyed by the snake_case
/// field), audited (<c>GET /api/admin/agents/audit</c>) and published to Routing as the <c>agents</c> section of
/// the config stream in the same transaction.
/// </summary>
public static partial class AgentsApi
{
    public const int MinPasswordLength = 8;
    public const int MaxCapacity = 1000;

    /// <summary>The wire format: snake_case like the configuration documents; unknown fields are an error.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._@-]{0,99}\z")]
    private static partial Regex LoginPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\z")]
    private static partial Regex SkillGroupPattern();

    public static IEndpointRouteBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/api/admin/agents").WithTags("Agents");
        agents.MapGet("/", ListAgentsAsync).WithSummary("The tenant's agents, supervisors and admins");
        agents.MapGet("/audit", AuditAsync).WithSummary("Who changed which agent or skill group, newest first");
        agents.MapGet("/{id:guid}", GetAgentAsync);
        agents.MapPost("/", CreateAgentAsync).Accepts<AgentWrite>("application/json").ProducesValidationProblem();
        agents.MapPut("/{id:guid}", UpdateAgentAsync).Accepts<AgentWrite>("application/json").ProducesValidationProblem();
        agents.MapDelete("/{id:guid}", DeleteAgentAsync);

        var groups = app.MapGroup("/api/admin/skill-groups").WithTags("Agents");
        groups.MapGet("/", ListSkillGroupsAsync);
        groups.MapPost("/", CreateSkillGroupAsync).Accepts<SkillGroupWrite>("application/json").ProducesValidationProblem();
        groups.MapPut("/{name}", UpdateSkillGroupAsync).Accepts<SkillGroupWrite>("application/json").ProducesValidationProblem();
        groups.MapDelete("/{name}", DeleteSkillGroupAsync);
        return app;
    }

    private static async Task<IResult> ListAgentsAsync(HttpRequest request, AgentDirectoryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        return Ok(await store.ListAgentsAsync(caller.TenantId, ct));
    }

    private static async Task<IResult> GetAgentAsync(HttpRequest request, Guid id, AgentDirectoryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        return await store.GetAgentAsync(caller.TenantId, id, ct) is { } agent ? Ok(agent) : AgentNotFound(id);
    }

    private static async Task<IResult> AuditAsync(HttpRequest request, AgentDirectoryStore store, int? limit, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        if (limit is < 1 or > 500) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["must be between 1 and 500."] });
        return Ok(await store.ReadAuditAsync(caller.TenantId, limit ?? 50, ct));
    }

    private static async Task<IResult> CreateAgentAsync(HttpRequest request, AgentDirectoryStore store, IPasswordHasher<Account> hasher,
        CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<AgentWrite>(request, Json, ct);
        if (problem is not null) return problem;
        if (Validate(body!, creating: true) is { } invalid) return invalid;
        var record = ToRecord(caller.TenantId, body!, hasher);
        var result = await store.CreateAgentAsync(caller.TenantId, record, caller, ct);
        if (Refused(result) is { } refused) return refused;
        return TypedResults.Json(result.Agent, Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAgentAsync(HttpRequest request, Guid id, AgentDirectoryStore store, IPasswordHasher<Account> hasher,
        CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<AgentWrite>(request, Json, ct);
        if (problem is not null) return problem;
        if (Validate(body!, creating: false) is { } invalid) return invalid;
        if (id.ToString() == caller.UserId && (body!.Active == false || body.Role != Roles.Admin) && caller.IsAdmin)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [body!.Active == false ? "active" : "role"] = ["An admin cannot deactivate or demote their own account."],
            });
        var result = await store.UpdateAgentAsync(caller.TenantId, id, ToRecord(caller.TenantId, body!, hasher), caller, ct);
        if (result.NotFound) return AgentNotFound(id);
        if (Refused(result) is { } refused) return refused;
        return Ok(result.Agent!);
    }

    private static async Task<IResult> DeleteAgentAsync(HttpRequest request, Guid id, AgentDirectoryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        if (id.ToString() == caller.UserId)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "An admin cannot delete their own account");
        return await store.DeleteAgentAsync(caller.TenantId, id, caller, ct) ? TypedResults.NoContent() : AgentNotFound(id);
    }

    private static async Task<IResult> ListSkillGroupsAsync(HttpRequest request, AgentDirectoryStore store, CancellationToken ct)
    {
        // Agents read them too: the console offers them as transfer targets.
        if (Authorize(request, write: false, out var caller, agentsMayRead: true) is { } denied) return denied;
        return Ok(await store.ListSkillGroupsAsync(caller.TenantId, ct));
    }

    private static async Task<IResult> CreateSkillGroupAsync(HttpRequest request, AgentDirectoryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<SkillGroupWrite>(request, Json, ct);
        if (problem is not null) return problem;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body!.Name)) errors["name"] = ["is required."];
        else if (!SkillGroupPattern().IsMatch(body.Name))
            errors["name"] = ["must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit."];
        ValidateGroupText(body, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The skill group is not valid");
        var created = await store.CreateSkillGroupAsync(caller.TenantId, body.Name!, Trim(body.DisplayName), Trim(body.Description), caller, ct);
        return created is null
            ? Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [$"'{body.Name}' already exists in this tenant."] },
                statusCode: StatusCodes.Status409Conflict, title: "The skill group exists")
            : TypedResults.Json(created, Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateSkillGroupAsync(HttpRequest request, string name, AgentDirectoryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<SkillGroupWrite>(request, Json, ct);
        if (problem is not null) return problem;
        var errors = new Dictionary<string, string[]>();
        if (body!.Name is not null && body.Name != name) errors["name"] = ["cannot be changed (it is the group's id); create a new group instead."];
        ValidateGroupText(body, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "The skill group is not valid");
        var updated = await store.UpdateSkillGroupAsync(caller.TenantId, name, Trim(body.DisplayName), Trim(body.Description), caller, ct);
        return updated is null ? SkillGroupNotFound(name) : Ok(updated);
    }

    private static async Task<IResult> DeleteSkillGroupAsync(HttpRequest request, string name, AgentDirectoryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (found, usedBy) = await store.DeleteSkillGroupAsync(caller.TenantId, name, caller, ct);
        if (!found) return SkillGroupNotFound(name);
        if (usedBy.Length > 0)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [$"agents are in '{name}': {string.Join(", ", usedBy)}; take them out first."] },
                statusCode: StatusCodes.Status409Conflict, title: "The skill group is in use");
        return TypedResults.NoContent();
    }

    private static IResult? Validate(AgentWrite body, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        var login = body.Login?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(login)) errors["login"] = ["is required."];
        else if (!LoginPattern().IsMatch(login)) errors["login"] = ["must be 1-100 lowercase letters, digits, '.', '_', '@' or '-', starting with a letter or digit."];
        if (string.IsNullOrWhiteSpace(body.DisplayName)) errors["display_name"] = ["is required."];
        else if (body.DisplayName.Trim().Length > 100) errors["display_name"] = ["must be at most 100 characters."];
        if (body.Password is null) { if (creating) errors["password"] = ["is required."]; }
        else if (body.Password.Length < MinPasswordLength) errors["password"] = [$"must be at least {MinPasswordLength} characters."];
        else if (body.Password.Length > 200) errors["password"] = ["must be at most 200 characters."];
        if (body.Role is null) errors["role"] = ["is required: admin, supervisor or agent."];
        else if (body.Role is not (Roles.Admin or Roles.Supervisor or Roles.Agent)) errors["role"] = [$"'{body.Role}' is not admin, supervisor or agent."];
        var groups = body.SkillGroups ?? [];
        if (groups.Length > 100) errors["skill_groups"] = ["must have at most 100 items."];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < groups.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(groups[i]) || !SkillGroupPattern().IsMatch(groups[i])) errors[$"skill_groups[{i}]"] = ["is not a skill group name."];
            else if (!seen.Add(groups[i])) errors[$"skill_groups[{i}]"] = [$"'{groups[i]}' appears more than once."];
        }
        if (body.Role == Roles.Agent && groups.Length == 0 && body.Active != false) errors["skill_groups"] = ["an active agent needs at least one skill group."];
        if (body.Capacity is < 1 or > MaxCapacity) errors["capacity"] = [$"must be between 1 and {MaxCapacity} (or null for the tenant's default)."];
        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors, title: "The agent is not valid");
    }

    private static void ValidateGroupText(SkillGroupWrite body, Dictionary<string, string[]> errors)
    {
        if (body.DisplayName is { Length: > 100 }) errors["display_name"] = ["must be at most 100 characters."];
        if (body.Description is { Length: > 1000 }) errors["description"] = ["must be at most 1000 characters."];
    }

    private static AgentRecord ToRecord(string tenantId, AgentWrite body, IPasswordHasher<Account> hasher)
    {
        var login = body.Login!.Trim().ToLowerInvariant();
        var groups = body.SkillGroups ?? [];
        string? hash = null;
        if (body.Password is not null)
            hash = hasher.HashPassword(new Account(Guid.Empty, tenantId, login, body.DisplayName!, "", body.Role!, groups, body.Capacity, true), body.Password);
        return new AgentRecord(login, body.DisplayName!.Trim(), body.Role!, groups, body.Capacity, body.Active ?? true, hash);
    }

    private static IResult? Refused(AgentWriteResult result)
    {
        if (result.MissingSkillGroups is { Length: > 0 } missing)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["skill_groups"] = [$"unknown skill group(s) of this tenant: {string.Join(", ", missing)}; create them first (POST /api/admin/skill-groups)."],
            }, title: "The agent is not valid");
        if (result.LoginTaken)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["login"] = ["is already taken in this tenant."] },
                statusCode: StatusCodes.Status409Conflict, title: "The login is taken");
        return null;
    }

    private static IResult? Authorize(HttpRequest request, bool write, out GatewayCaller caller, bool agentsMayRead = false) =>
        write
            ? GatewayCaller.Authorize(request, c => c.IsAdmin, "Only admins change agents and skill groups.", out caller)
            : GatewayCaller.Authorize(request, c => c.IsSupervisorOrAdmin || (agentsMayRead && c.Role == Roles.Agent),
                "Only admins and supervisors read agents and skill groups.", out caller);

    private static IResult Ok<T>(T value) => TypedResults.Json(value, Json);

    private static string? Trim(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static IResult AgentNotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such agent", detail: $"The tenant has no account {id}.");

    private static IResult SkillGroupNotFound(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such skill group", detail: $"The tenant has no skill group '{name}'.");
}
