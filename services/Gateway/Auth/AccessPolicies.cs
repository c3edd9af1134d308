using CustomerService.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Auth;

/// <summary>
/// Who may reach what. Every policy needs a valid token and keeps callers inside their own tenant; the named
/// ones add roles (<see cref="Rules"/>). Routes name their policy in the ReverseProxy configuration (<c>default</c>:
/// any token; <c>anonymous</c>: no token needed); any path no route matches falls back to "a valid token" (health
/// probes excepted).
/// </summary>
public static class AccessPolicies
{
    /// <summary>/api/admin/*: admins; supervisors may read.</summary>
    public const string AdminApi = "admin-api";
    /// <summary>
    /// The few admin reads the agent console needs (canned-reply search, skill groups to transfer to): anyone who
    /// answers chats, read-only.
    /// </summary>
    public const string DeskRead = "desk-read";
    /// <summary>
    /// What only the tenant's admins reach, reads included: parked history messages (their payloads are any
    /// conversation's raw content, and replaying them writes history).
    /// </summary>
    public const string TenantAdmin = "tenant-admin";
    /// <summary>
    /// What the platform's staff read and do (/api/history): agents, supervisors and admins, never a visitor. The
    /// service behind narrows it per endpoint (statistics for managers, retention for admins).
    /// </summary>
    public const string Staff = "staff";
    /// <summary>
    /// The platform-wide configuration (/api/admin/platform/config): the operator tenant's admins, its supervisors
    /// reading. A shop's admin never reaches it (Admin refuses it too).
    /// </summary>
    public const string PlatformConfig = "platform-config";
    /// <summary>/ws/agent: the people who answer chats.</summary>
    public const string AgentSocket = "agent-socket";
    /// <summary>/ws/customer: visitors of a tenant's site.</summary>
    public const string VisitorSocket = "visitor-socket";
    /// <summary>
    /// The gateway's own endpoints (the IP blocklist): platform-wide, so for admins of the operator tenant only
    /// (<c>Auth:OperatorTenant</c>), never a shop's admin, who could otherwise block every tenant.
    /// </summary>
    public const string GatewayAdmin = "gateway-admin";

    /// <summary>YARP's name for a route anyone may reach, token or not (AllowAnonymous).</summary>
    public const string Anonymous = "anonymous";
    /// <summary>YARP's name for the default policy: any valid token of any role, in its own tenant.</summary>
    public const string AnyToken = "default";

    /// <summary>
    /// Who each policy admits: the one description the policies are built from, and that the authorization matrix
    /// (Gateway.Tests <c>AuthorizationMatrixTests</c>) checks every route of the gateway against. A route names one of
    /// these (or <see cref="Anonymous"/>); a route that names none is a route whose access nobody decided.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, AccessRule> Rules = new Dictionary<string, AccessRule>(StringComparer.OrdinalIgnoreCase)
    {
        [AnyToken] = new([], []),
        [AdminApi] = new([Roles.Admin], [Roles.Supervisor]),
        [TenantAdmin] = new([Roles.Admin], []),
        [DeskRead] = new([], [Roles.Agent, Roles.Supervisor, Roles.Admin]),
        [Staff] = new([Roles.Agent, Roles.Supervisor, Roles.Admin], []),
        [PlatformConfig] = new([Roles.Admin], [Roles.Supervisor], OperatorTenantOnly: true),
        [AgentSocket] = new([Roles.Agent, Roles.Supervisor, Roles.Admin], []),
        [VisitorSocket] = new([Roles.Visitor], []),
        [GatewayAdmin] = new([Roles.Admin], [], OperatorTenantOnly: true),
    };

    /// <summary>
    /// The paths that need no token although no policy admits them: the orchestrator's health probes (mapped by
    /// ServiceDefaults, the fallback policy lets them through). With a token they are held to <see cref="AnyToken"/>.
    /// </summary>
    public static readonly IReadOnlyList<string> HealthProbePaths =
        [Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath, Microsoft.Extensions.Hosting.Extensions.AlivenessEndpointPath];

    internal static void Add(AuthorizationOptions options)
    {
        var sameTenant = new SameTenantRequirement();
        AuthorizationPolicy Build(AccessRule rule)
        {
            var policy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(sameTenant);
            if (!rule.AnyRole) policy.AddRequirements(new RoleRequirement(rule.Roles, rule.ReadOnlyRoles));
            if (rule.OperatorTenantOnly) policy.AddRequirements(new OperatorTenantRequirement());
            return policy.Build();
        }

        options.DefaultPolicy = Build(Rules[AnyToken]);
        options.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(new TokenOrHealthProbeRequirement(), sameTenant).Build();
        foreach (var (name, rule) in Rules)
            if (name != AnyToken) options.AddPolicy(name, Build(rule));
    }
}

/// <summary>
/// What a policy admits, besides a valid token in its own tenant: <paramref name="Roles"/> for every method,
/// <paramref name="ReadOnlyRoles"/> for GET and HEAD; neither listed: every role. <paramref name="OperatorTenantOnly"/>:
/// only tokens of the operator tenant (<c>Auth:OperatorTenant</c>).
/// </summary>
public sealed record AccessRule(string[] Roles, string[] ReadOnlyRoles, bool OperatorTenantOnly = false)
{
    public bool AnyRole => Roles.Length == 0 && ReadOnlyRoles.Length == 0;
}

/// <summary>The token's role is one of <paramref name="roles"/>, or one of <paramref name="readOnlyRoles"/> for GET and HEAD.</summary>
public sealed class RoleRequirement(string[] roles, string[]? readOnlyRoles = null) : IAuthorizationRequirement
{
    public bool Allows(string? role, string method) =>
        role is not null && (roles.Contains(role) || (readOnlyRoles?.Contains(role) == true && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))));

    public string Describe() => roles.Length == 0
        ? $"This may only be read, by the role {string.Join(" or ", readOnlyRoles ?? [])}."
        : readOnlyRoles is { Length: > 0 }
        ? $"This needs the role {string.Join(" or ", roles)} ({string.Join(" or ", readOnlyRoles)} may only read)."
        : $"This needs the role {string.Join(" or ", roles)}.";
}

internal sealed class RoleRequirementHandler : AuthorizationHandler<RoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
    {
        var method = context.Resource is HttpContext http ? http.Request.Method : HttpMethods.Get;
        if (requirement.Allows(context.User.FindFirst(PlatformClaims.Role)?.Value, method)) context.Succeed(requirement);
        else context.Fail(new AuthorizationFailureReason(this, requirement.Describe()));
        return Task.CompletedTask;
    }
}

/// <summary>
/// A request that names a tenant (a <c>{tenant}</c> route value or a <c>tenant</c> query parameter) names the
/// token's own. Services take the tenant from X-CS-Tenant only; this stops the paths and queries that name one.
/// </summary>
public sealed class SameTenantRequirement : IAuthorizationRequirement
{
    public const string Parameter = "tenant";
}

internal sealed class SameTenantRequirementHandler : AuthorizationHandler<SameTenantRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SameTenantRequirement requirement)
    {
        var tenant = context.User.FindFirst(PlatformClaims.Tenant)?.Value;
        if (context.Resource is HttpContext http && tenant is not null && NamesAnotherTenant(http.Request, tenant))
            context.Fail(new AuthorizationFailureReason(this, "This belongs to another tenant than the token's."));
        else
            context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private static bool NamesAnotherTenant(HttpRequest request, string tenant)
    {
        if (request.RouteValues.TryGetValue(SameTenantRequirement.Parameter, out var routed)
            && !string.Equals(routed as string, tenant, StringComparison.Ordinal)) return true;
        if (!request.QueryString.HasValue || !request.Query.TryGetValue(SameTenantRequirement.Parameter, out var named)) return false;
        foreach (var value in named)
            if (!string.Equals(value, tenant, StringComparison.Ordinal)) return true;
        return false;
    }
}

/// <summary>The token belongs to the operator tenant (<see cref="GatewayAuthOptions.OperatorTenant"/>).</summary>
public sealed class OperatorTenantRequirement : IAuthorizationRequirement;

internal sealed class OperatorTenantRequirementHandler(IOptions<GatewayAuthOptions> options) : AuthorizationHandler<OperatorTenantRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperatorTenantRequirement requirement)
    {
        var operatorTenant = options.Value.OperatorTenant;
        if (string.Equals(context.User.FindFirst(PlatformClaims.Tenant)?.Value, operatorTenant, StringComparison.Ordinal))
            context.Succeed(requirement);
        else
            context.Fail(new AuthorizationFailureReason(this, $"Platform-wide controls belong to the operator tenant '{operatorTenant}'."));
        return Task.CompletedTask;
    }
}

/// <summary>Health probes come from the orchestrator, which has no token; everything else needs one.</summary>
public sealed class TokenOrHealthProbeRequirement : IAuthorizationRequirement;

internal sealed class TokenOrHealthProbeHandler : AuthorizationHandler<TokenOrHealthProbeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TokenOrHealthProbeRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true || (context.Resource is HttpContext http && IsHealthProbe(http.Request.Path)))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private static bool IsHealthProbe(PathString path)
    {
        foreach (var probe in AccessPolicies.HealthProbePaths)
            if (path.Equals(probe, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
