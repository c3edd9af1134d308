using System.Net.Http.Headers;
using System.Security.Claims;
using CustomerService.Contracts;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace CustomerService.Gateway.Proxy;

/// <summary>
/// On every proxied request, on every route: drops any X-CS-* identity header (and signature) the client sent and
/// sets them from the validated token, signed with the deployment's internal key (X-CS-Identity-Signature,
/// <see cref="IdentitySignature"/>), so services can tell them from forged ones. X-CS-Skills lists an agent's skill
/// groups, comma-separated; X-CS-Token-Version is the token's ver (Session closes sockets whose version a revocation
/// outdates). X-CS-Name is percent-encoded UTF-8 (RFC 3986), because display names in any script must survive an HTTP
/// header; services read it with Uri.UnescapeDataString.
/// </summary>
internal sealed class IdentityHeadersTransform : ITransformProvider
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public IdentityHeadersTransform(InternalKey key, TimeProvider time)
    {
        // GatewayAuthOptionsValidator has refused to start without one.
        _key = key.Bytes ?? throw new InvalidOperationException($"{IdentitySignature.KeyConfig} is missing.");
        _time = time;
    }

    public void ValidateRoute(TransformRouteValidationContext context) { }

    public void ValidateCluster(TransformClusterValidationContext context) { }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(SetIdentity);

    private ValueTask SetIdentity(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        foreach (var header in IdentityHeaders.All) headers.Remove(header);
        headers.Remove(IdentitySignature.Header);

        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated != true) return ValueTask.CompletedTask;
        var identity = new IdentityHeaderValues(
            Tenant: user.FindFirst(PlatformClaims.Tenant)?.Value,
            User: user.FindFirst(PlatformClaims.Subject)?.Value,
            Role: user.FindFirst(PlatformClaims.Role)?.Value,
            Name: user.FindFirst(PlatformClaims.Name)?.Value is { } name ? Uri.EscapeDataString(name) : null,
            SkillGroups: SkillGroups(user),
            TokenVersion: user.FindFirst(PlatformClaims.TokenVersion)?.Value);
        Set(headers, IdentityHeaders.Tenant, identity.Tenant);
        Set(headers, IdentityHeaders.User, identity.User);
        Set(headers, IdentityHeaders.Role, identity.Role);
        Set(headers, IdentityHeaders.Name, identity.Name);
        Set(headers, IdentityHeaders.SkillGroups, identity.SkillGroups);
        Set(headers, IdentityHeaders.TokenVersion, identity.TokenVersion);
        if (identity.Any) headers.TryAddWithoutValidation(IdentitySignature.Header, IdentitySignature.Sign(_key, identity, _time.GetUtcNow()));
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
