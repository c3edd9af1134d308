using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.Gateway.Auth;

/// <summary>
/// Turns a refused request into a problem document that says why: 401 for a missing, expired, revoked or invalid token
/// (with the WWW-Authenticate challenge of RFC 6750), 403 for the wrong role or another tenant.
/// </summary>
internal sealed class AccessProblems : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await next(context);
            return;
        }

        if (result.Forbidden)
        {
            var reason = result.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message ?? "This token may not do that.";
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", reason);
            return;
        }

        // The handler caches its result for the request: asking again does not validate the token twice.
        var failure = (await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme)).Failure;
        var (challenge, detail) = failure switch
        {
            null => ("Bearer",
                "This needs an access token: send 'Authorization: Bearer <token>' (WebSocket upgrades on /ws may pass ?access_token=)."),
            SecurityTokenExpiredException => ("Bearer error=\"invalid_token\", error_description=\"The token expired\"",
                "The access token expired: get a new one from /api/auth."),
            SecurityTokenRevokedException => ("Bearer error=\"invalid_token\", error_description=\"The token was revoked\"",
                "The access token was revoked (the account's role changed, it was deactivated or deleted, its password was reset, or it " +
                "logged out): sign in again at /api/auth/login."),
            _ => ("Bearer error=\"invalid_token\"",
                "The access token is not valid (signature, issuer, audience, lifetime or format)."),
        };
        context.Response.Headers.WWWAuthenticate = challenge;
        await Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }
}
