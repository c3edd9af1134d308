using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Features;

namespace CustomerService.Gateway.Auth;

/// <summary>
/// Where the token comes from (the Authorization header, or the access_token query parameter on WebSocket
/// upgrades under /ws, since browsers cannot set headers there), and the shortcut for tokens already validated.
/// </summary>
internal sealed class TokenEvents(ValidatedTokens validated) : JwtBearerEvents
{
    public override Task MessageReceived(MessageReceivedContext context)
    {
        var credential = Credential(context.HttpContext, out var fromQuery);
        if (credential is null) return Task.CompletedTask;
        if (validated.TryGet(credential, out var principal))
        {
            context.Principal = principal;
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
        if (Credential(context.HttpContext, out _) is { } credential && context.Principal is { } principal)
            validated.Remember(credential, principal, context.SecurityToken.ValidTo);
        return Task.CompletedTask;
    }

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
