using CustomerService.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Auth;

/// <summary>
/// Who may reach what. Every policy needs a valid token and keeps callers inside their own tenant; the named
/// ones add roles. Routes name their policy in the ReverseProxy configuration; a route that names none, and any
/// path no route matches, falls back to "a valid token" (health probes excepted).
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
    /// <summary>/ws/agent: the people who answer chats.</summary>
    public const string AgentSocket = "agent-socket";
    /// <summary>/ws/customer: visitors of a tenant's site.</summary>
    public const string VisitorSocket = "visitor-socket";
    /// <summary>
    /// The gateway's own endpoints (the IP blocklist): platform-wide, so for admins of the operator tenant only
    /// (<c>Auth:OperatorTenant</c>), never a shop's admin, who could otherwise block every tenant.
    /// </summary>
    public const string GatewayAdmin = "gateway-admin";

    internal static void Add(AuthorizationOptions options)
    {
        var sameTenant = new SameTenantRequirement();
        AuthorizationPolicy Token(params IAuthorizationRequirement[] more) =>
            new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements([sameTenant, .. more]).Build();

        options.DefaultPolicy = Token();
        options.FallbackPolicy = new AuthorizationPolicyBuilder().AddRequirements(new TokenOrHealthProbeRequirement(), sameTenant).Build();
        options.AddPolicy(AdminApi, Token(new RoleRequirement([Roles.Admin], readOnlyRoles: [Roles.Supervisor])));
        options.AddPolicy(TenantAdmin, Token(new RoleRequirement([Roles.Admin])));
        options.AddPolicy(DeskRead, Token(new RoleRequirement([], readOnlyRoles: [Roles.Agent, Roles.Supervisor, Roles.Admin])));
        options.AddPolicy(AgentSocket, Token(new RoleRequirement([Roles.Agent, Roles.Supervisor, Roles.Admin])));
        options.AddPolicy(VisitorSocket, Token(new RoleRequirement([Roles.Visitor])));
        options.AddPolicy(GatewayAdmin, Token(new RoleRequirement([Roles.Admin]), new OperatorTenantRequirement()));
    }
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

    private static bool IsHealthProbe(PathString path) =>
        path.Equals(Microsoft.Extensions.Hosting.Extensions.HealthEndpointPath, StringComparison.OrdinalIgnoreCase)
        || path.Equals(Microsoft.Extensions.Hosting.Extensions.AlivenessEndpointPath, StringComparison.OrdinalIgnoreCase);
}
