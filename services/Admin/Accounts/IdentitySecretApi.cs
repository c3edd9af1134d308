using CustomerService.Admin.Agents;

namespace CustomerService.Admin.Accounts;

/// <summary>Body of POST /api/admin/identity-secret/rotate.</summary>
public sealed record IdentitySecretRotation
{
    /// <summary>Hours the replaced secret still verifies identifierHash, 0..168 (default 24): the time the tenant's backend needs to switch.</summary>
    public int? OverlapHours { get; init; }
}

/// <summary>Body of PUT /api/admin/identity-secret/policy.</summary>
public sealed record IdentityPolicy
{
    /// <summary>Identity signatures must carry identifierExpires; one without is refused (401).</summary>
    public bool? RequireExpiry { get; init; }
}

/// <summary>What an admin sees of the tenant's identity secret and its policy (snake_case like every admin API).</summary>
public sealed record IdentitySecretView(string IdentitySecret, DateTimeOffset? PreviousValidUntil, bool RequireExpiry);

/// <summary>
/// The tenant's identity secret, which its backend signs identified visitors with (docs/auth.md#identified-visitors):
/// admins read it and rotate it; the replaced secret keeps verifying for an overlap, so no visitor is refused
/// while the backend switches, and a leaked secret stops working when the overlap ends (0 ends it at once).
/// </summary>
public static partial class IdentitySecretApi
{
    public const int MaxOverlapHours = 168, DefaultOverlapHours = 24;

    public static IEndpointRouteBuilder MapIdentitySecretApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin/identity-secret").WithTags("Accounts");
        api.MapGet("/", GetAsync).WithSummary("The tenant's identity secret, and until when the previous one still verifies");
        api.MapPost("/rotate", RotateAsync).Accepts<IdentitySecretRotation>("application/json").ProducesValidationProblem()
            .WithSummary("A new identity secret; the replaced one verifies for overlap_hours more");
        api.MapPut("/policy", SetPolicyAsync).Accepts<IdentityPolicy>("application/json").ProducesValidationProblem()
            .WithSummary("Whether identity signatures must expire (identifierExpires)");
        return app;
    }

    private static async Task<IResult> GetAsync(HttpRequest request, AccountStore store, TimeProvider time, CancellationToken ct)
    {
        if (Authorize(request, out var caller) is { } denied) return denied;
        return await store.GetSiteOfTenantAsync(caller.TenantId, ct) is { } site ? View(site, time.GetUtcNow()) : NoTenant(caller.TenantId);
    }

    private static async Task<IResult> RotateAsync(HttpRequest request, AccountStore store, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        if (Authorize(request, out var caller) is { } denied) return denied;
        var rotation = new IdentitySecretRotation();
        if (request.ContentLength is > 0 || request.ContentType is not null)
        {
            var (body, problem) = await JsonBody.ReadAsync<IdentitySecretRotation>(request, AgentsApi.Json, ct);
            if (problem is not null) return problem;
            rotation = body!;
        }
        if (rotation.OverlapHours is < 0 or > MaxOverlapHours)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["overlap_hours"] = [$"must be between 0 and {MaxOverlapHours}."] });
        var now = time.GetUtcNow();
        var until = now + TimeSpan.FromHours(rotation.OverlapHours ?? DefaultOverlapHours);
        if (await store.RotateIdentitySecretAsync(caller.TenantId, VisitorIdentity.NewIdentitySecret(), until, ct) is not { } site)
            return NoTenant(caller.TenantId);
        LogRotated(logs.CreateLogger(typeof(IdentitySecretApi)), caller.TenantId, caller.UserId, until);
        return View(site, now);
    }

    private static async Task<IResult> SetPolicyAsync(HttpRequest request, AccountStore store, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        if (Authorize(request, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<IdentityPolicy>(request, AgentsApi.Json, ct);
        if (problem is not null) return problem;
        if (body!.RequireExpiry is not { } required)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["require_expiry"] = ["is required: true or false."] });
        if (await store.SetRequireExpiringIdentityAsync(caller.TenantId, required, ct) is not { } site) return NoTenant(caller.TenantId);
        LogPolicy(logs.CreateLogger(typeof(IdentitySecretApi)), caller.TenantId, caller.UserId, required);
        return View(site, time.GetUtcNow());
    }

    private static IResult View(VisitorSite site, DateTimeOffset now) =>
        TypedResults.Json(new IdentitySecretView(site.IdentitySecret, site.PreviousUntil > now ? site.PreviousUntil : null,
            site.RequireExpiringIdentity), AgentsApi.Json);

    private static IResult? Authorize(HttpRequest request, out GatewayCaller caller) =>
        GatewayCaller.Authorize(request, c => c.IsAdmin, "Only admins read or rotate the identity secret.", out caller);

    private static IResult NoTenant(string tenant) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such tenant", detail: $"There is no tenant '{tenant}'.");

    [LoggerMessage(Level = LogLevel.Information, Message = "identity signatures of {Tenant} must expire: {Required} (set by {User})")]
    private static partial void LogPolicy(ILogger logger, string tenant, string user, bool required);

    [LoggerMessage(Level = LogLevel.Information, Message = "identity secret of {Tenant} rotated by {User}; the previous one verifies until {Until}")]
    private static partial void LogRotated(ILogger logger, string tenant, string user, DateTimeOffset until);
}
