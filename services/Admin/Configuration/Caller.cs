using CustomerService.Contracts;

namespace CustomerService.Admin.Configuration;

/// <summary>
/// Who calls the configuration API, as the gateway says in the identity headers after validating the JWT
/// (services behind the gateway trust only these).
/// </summary>
public sealed record Caller(string TenantId, string UserId, string Role, string? Name)
{
    public bool IsAdmin => Role == Roles.Admin;
    public bool CanRead => Role is Roles.Admin or Roles.Supervisor;

    public static Caller? From(HttpRequest request)
    {
        var tenant = request.Headers[IdentityHeaders.Tenant].ToString();
        var user = request.Headers[IdentityHeaders.User].ToString();
        var role = request.Headers[IdentityHeaders.Role].ToString();
        if (tenant.Length == 0 || user.Length == 0 || role.Length == 0) return null;
        // The gateway percent-encodes the display name: headers carry ASCII only.
        var name = request.Headers[IdentityHeaders.Name].ToString();
        return new Caller(tenant, user, role, name.Length == 0 ? null : Uri.UnescapeDataString(name));
    }
}
