using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.Gateway.Auth;

/// <summary>The token is valid but its account revoked it (role changed, deactivated, deleted, password reset, logout).</summary>
public sealed class SecurityTokenRevokedException(string message) : SecurityTokenValidationException(message);

/// <summary>
/// Where the token comes from (the Authorization header, or the access_token query parameter on WebSocket
/// upgrades under /ws, since browsers cannot set headers there), the shortcut for tokens already validated, and
/// the revocation check on every request, remembered token or not (one lookup in this process's copy).
/// </summary>
internal sealed class TokenEvents(ValidatedTokens validated, TokenRevocations revocations) : JwtBearerEvents
{
    public override Task MessageReceived(MessageReceivedContext context)
    {
        var credential = Credential(context.HttpContext, out var fromQuery);
        if (credential is null) return Task.CompletedTask;
        if (validated.TryGet(credential, out var token))
        {
            if (token.IsRevoked(revocations))
            {
                context.Fail(Revoked());
                return Task.CompletedTask;
            }
            context.Principal = token.Principal;
            context.Success();
        }
        else if (fromQuery)
        {
            context.Token = credential;
        }
        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        if (context.Principal is not { } principal) return Task.CompletedTask;
        var token = ValidatedToken.For(principal, context.SecurityToken.ValidTo);
        if (token.IsRevoked(revocations))
        {
            context.Fail(Revoked());
            return Task.CompletedTask;
        }
        if (Credential(context.HttpContext, out _) is { } credential) validated.Remember(credential, token);
        return Task.CompletedTask;
    }

    private static SecurityTokenRevokedException Revoked() => new("The token was revoked.");

    /// <summary>The header value as sent ("Bearer eyJ..."), so finding it costs no copy; or the query token.</summary>
    private static string? Credential(HttpContext http, out bool fromQuery)
    {
        fromQuery = false;
        var request = http.Request;
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0) return authorization.Count == 1 ? authorization[0] : null;
        if (!request.Path.StartsWithSegments(GatewayAuthentication.SocketPaths)
            || http.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true }
            || !request.Query.TryGetValue(GatewayAuthentication.AccessTokenParameter, out var token)
            || token.Count != 1) return null;
        fromQuery = true;
        return token[0];
    }
}
