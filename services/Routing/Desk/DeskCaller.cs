using CustomerService.Contracts;

namespace CustomerService.Routing.Desk;

/// <summary>Who calls the desk API, as the gateway says in its identity headers (never from the query).</summary>
public sealed record DeskCaller(string Tenant, string UserId, string Role, IReadOnlyList<string> TokenSkillGroups)
{
    /// <summary>Supervisors and admins see every queue of the tenant; agents the queues of their skill groups.</summary>
    public bool SeesEveryQueue => Role is Roles.Supervisor or Roles.Admin;

    public bool AnswersChats => Role is Roles.Agent or Roles.Supervisor or Roles.Admin;

    public static DeskCaller? From(HttpRequest request)
    {
        var tenant = request.Headers[IdentityHeaders.Tenant].ToString();
        var user = request.Headers[IdentityHeaders.User].ToString();
        var role = request.Headers[IdentityHeaders.Role].ToString();
        if (tenant.Length == 0 || user.Length == 0 || role.Length == 0) return null;
        var skills = request.Headers[IdentityHeaders.SkillGroups].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new DeskCaller(tenant, user, role, skills);
    }
}
