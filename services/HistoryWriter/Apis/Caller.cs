using System.Reflection;
using CustomerService.Contracts;

namespace CustomerService.HistoryWriter.Apis;

/// <summary>
/// Who is asking, from the identity headers the gateway sets from the validated JWT (it strips any a client sent).
/// Every history query is scoped to <see cref="Tenant"/>, whatever else the request says.
/// </summary>
public sealed record Caller(string Tenant, string User, string Role)
{
    /// <summary>
    /// Minimal APIs bind a Caller parameter from the headers (binding runs before endpoint filters; the filter of
    /// <see cref="Require"/> then refuses a request whose identity is missing or whose role does not fit).
    /// </summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var headers = context.Request.Headers;
        return ValueTask.FromResult<Caller?>(new Caller(headers[IdentityHeaders.Tenant].ToString(), headers[IdentityHeaders.User].ToString(),
            headers[IdentityHeaders.Role].ToString()));
    }

    /// <summary>An endpoint filter: 401 without an identity, 403 for a role not in <paramref name="roles"/>.</summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Require(params string[] roles) =>
        async (invocation, next) =>
        {
            var headers = invocation.HttpContext.Request.Headers;
            string tenant = headers[IdentityHeaders.Tenant].ToString(), role = headers[IdentityHeaders.Role].ToString();
            if (tenant.Length == 0 || role.Length == 0)
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in",
                    detail: "The request carries no identity; history is reached through the gateway with a token.");
            if (!roles.Contains(role))
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
                    detail: $"This needs one of the roles {string.Join(", ", roles)}.");
            return await next(invocation);
        };
}
