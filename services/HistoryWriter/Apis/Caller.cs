using System.Reflection;
using CustomerService.Contracts;

namespace CustomerService.HistoryWriter.Apis;

/// <summary>
/// Who is asking, from the identity headers the gateway sets from the validated JWT (it strips any a client sent).
/// Every history query is scoped to <see cref="Tenant"/>, whatever else the request says.
/// </summary>
public sealed record Caller(string Tenant, string User, string Role)
{
    private const string ItemKey = "history.caller";

    /// <summary>Minimal APIs bind a Caller parameter from what <see cref="Require"/> checked.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult(context.Items[ItemKey] as Caller);

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
            invocation.HttpContext.Items[ItemKey] = new Caller(tenant, headers[IdentityHeaders.User].ToString(), role);
            return await next(invocation);
        };
}
