using CustomerService.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Who calls a service's API, as the gateway says in its identity headers after validating the JWT (it strips any a
/// client sent and signs the ones it sets; <see cref="InternalTrust"/> has refused the request before it gets here
/// unless the signature is valid), and the one way every API refuses: 401 without an identity, 403 for a role that
/// does not fit, both as ProblemDetails.
/// </summary>
public sealed record GatewayCaller(string TenantId, string UserId, string Role, string? Name, IReadOnlyList<string> SkillGroups)
{
    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>Supervisors and admins: they read a tenant's settings and see every queue.</summary>
    public bool IsSupervisorOrAdmin => Role is Roles.Admin or Roles.Supervisor;

    /// <summary>The caller, or null when the gateway set no tenant, user or role.</summary>
    public static GatewayCaller? From(HttpRequest request)
    {
        var tenant = request.Headers[IdentityHeaders.Tenant].ToString();
        var user = request.Headers[IdentityHeaders.User].ToString();
        var role = request.Headers[IdentityHeaders.Role].ToString();
        if (tenant.Length == 0 || user.Length == 0 || role.Length == 0) return null;
        // The gateway percent-encodes the display name: headers carry ASCII only.
        var name = request.Headers[IdentityHeaders.Name].ToString();
        var skills = request.Headers[IdentityHeaders.SkillGroups].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new GatewayCaller(tenant, user, role, name.Length == 0 ? null : Uri.UnescapeDataString(name), skills);
    }

    /// <summary>
    /// Null when the request carries an identity whose role <paramref name="allowed"/> accepts; else the 401 or the
    /// 403 (with <paramref name="refusal"/> as its detail) to answer.
    /// </summary>
    public static ProblemHttpResult? Authorize(HttpRequest request, Func<GatewayCaller, bool> allowed, string refusal, out GatewayCaller caller)
    {
        caller = From(request)!;
        if (caller is null) return NotSignedIn();
        return allowed(caller) ? null : NotAllowed(refusal);
    }

    public static ProblemHttpResult NotSignedIn() => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in",
        detail: $"{IdentityHeaders.Tenant}, {IdentityHeaders.User} and {IdentityHeaders.Role} are set by the gateway from a valid token.");

    public static ProblemHttpResult NotAllowed(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: detail);
}
