using System.Net.Http.Headers;
using System.Security.Claims;
using CustomerService.Contracts;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace CustomerService.Gateway.Proxy;

/// <summary>
/// On every proxied request, on every route: drops any X-CS-* identity header the client sent and sets them from
/// the validated token, so services can trust them. X-CS-Skills lists an agent's skill groups, comma-separated;
/// X-CS-Token-Version is the token's ver (Session closes sockets whose version a revocation outdates). X-CS-Name is percent-encoded UTF-8 (RFC 3986), because
/// display names in any script must survive an HTTP header; services read it with Uri.UnescapeDataString.
/// </summary>
internal sealed class IdentityHeadersTransform : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context) { }

    public void ValidateCluster(TransformClusterValidationContext context) { }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(SetIdentity);

    private static ValueTask SetIdentity(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        foreach (var header in IdentityHeaders.All) headers.Remove(header);

        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated != true) return ValueTask.CompletedTask;
        Set(headers, IdentityHeaders.Tenant, user.FindFirst(PlatformClaims.Tenant)?.Value);
        Set(headers, IdentityHeaders.User, user.FindFirst(PlatformClaims.Subject)?.Value);
        Set(headers, IdentityHeaders.Role, user.FindFirst(PlatformClaims.Role)?.Value);
        Set(headers, IdentityHeaders.Name, user.FindFirst(PlatformClaims.Name)?.Value is { } name ? Uri.EscapeDataString(name) : null);
        Set(headers, IdentityHeaders.SkillGroups, SkillGroups(user));
        Set(headers, IdentityHeaders.TokenVersion, user.FindFirst(PlatformClaims.TokenVersion)?.Value);
        return ValueTask.CompletedTask;
    }

    /// <summary>The skills claims comma-separated; null for visitors and admins, who have none (no allocation then).</summary>
    private static string? SkillGroups(ClaimsPrincipal user)
    {
        string? first = null;
        List<string>? more = null;
        foreach (var claim in user.Claims)
        {
            if (claim.Type != PlatformClaims.SkillGroups) continue;
            if (first is null) first = claim.Value;
            else (more ??= [first]).Add(claim.Value);
        }
        return more is null ? first : string.Join(',', more);
    }

    private static void Set(HttpRequestHeaders headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) headers.TryAddWithoutValidation(name, value);
    }
}
