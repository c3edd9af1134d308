using CustomerService.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.Gateway.Auth;

public static class GatewayAuthentication
{
    /// <summary>Query parameter that carries the token on WebSocket upgrades: browsers cannot set headers there.</summary>
    public const string AccessTokenParameter = "access_token";
    public static readonly PathString SocketPaths = "/ws";

    /// <summary>
    /// JWT bearer validation (issuer, audience, lifetime, HS256 signature, revocation), the access policies, and
    /// problem documents for 401 and 403. Fails on start when the signing key is missing or too short.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<GatewayAuthOptions>().BindConfiguration(GatewayAuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewayAuthOptions>, GatewayAuthOptionsValidator>();

        builder.Services.AddSingleton<ValidatedTokens>();
        builder.AddTokenRevocations();
        builder.Services.AddSingleton<TokenEvents>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<GatewayAuthOptions>, TimeProvider>((jwt, auth, time) => Configure(jwt, auth.Value, time));

        builder.Services.AddAuthorization(AccessPolicies.Add);
        builder.Services.AddSingleton<IAuthorizationHandler, RoleRequirementHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, SameTenantRequirementHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, OperatorTenantRequirementHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, TokenOrHealthProbeHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessProblems>();
        return builder;
    }

    private static void Configure(JwtBearerOptions jwt, GatewayAuthOptions auth, TimeProvider time)
    {
        // Claims keep the names Admin gives them (sub, tenant, role, name) instead of WS-* URIs.
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = PlatformClaims.Issuer,
            ValidAudience = PlatformClaims.Audience,
            // The key a token's kid names; a token without one (signed before kids) is tried against each.
            IssuerSigningKeys = auth.ValidationKeys(),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = auth.ClockSkew,
            NameClaimType = PlatformClaims.Name,
            RoleClaimType = PlatformClaims.Role,
            LifetimeValidator = (notBefore, expires, _, parameters) => TokenLifetime.Check(notBefore, expires, parameters.ClockSkew, time),
        };
        jwt.EventsType = typeof(TokenEvents);
    }
}

/// <summary>exp and nbf against the injected clock, so expiry is testable and the same clock serves the whole gateway.</summary>
internal static class TokenLifetime
{
    public static bool Check(DateTime? notBefore, DateTime? expires, TimeSpan clockSkew, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is null) throw new SecurityTokenNoExpirationException("The token has no expiry.");
        if (notBefore is { } nbf && nbf > now + clockSkew)
            throw new SecurityTokenNotYetValidException($"The token is not valid before {nbf:O}.") { NotBefore = nbf };
        if (expires.Value < now - clockSkew)
            throw new SecurityTokenExpiredException($"The token expired at {expires.Value:O}.") { Expires = expires.Value };
        return true;
    }
}
