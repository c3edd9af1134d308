using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Microsoft.AspNetCore.Http.Features;

namespace CustomerService.Gateway.Tenants;

/// <summary>
/// The tenant's <c>gateway</c> section (live from Admin) applied at the edge, after the token is read and before the
/// rate limits: a suspended tenant's tokens get 403 with the reason; a visitor socket from a page whose
/// <c>Origin</c> the tenant did not allow gets 403 (cross-site WebSocket hijacking). Sign-ins
/// (<c>POST /api/auth/login</c>, <c>/api/auth/visitor</c>) name their tenant only in Admin's answer: that answer is
/// held back and replaced by a 403 when the tenant is suspended, or (visitor sign-in) when the page's origin is not
/// allowed, so no token reaches such a page.
/// </summary>
internal sealed class TenantPolicyMiddleware(RequestDelegate next, ILiveConfig live)
{
    public const string LoginPath = "/api/auth/login";
    public const string VisitorPath = "/api/auth/visitor";
    private const int MaxSignInAnswerBytes = 64 * 1024;
    private static readonly object SignedInTenantKey = new();

    /// <summary>The tenant Admin named in its answer to this sign-in, once it has answered 200.</summary>
    public static string? SignedInTenant(HttpContext context) => context.Items.TryGetValue(SignedInTenantKey, out var tenant) ? tenant as string : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.User.FindFirst(PlatformClaims.Tenant)?.Value is { } tenant)
        {
            var settings = live.Current.Get<GatewaySettings>(tenant);
            if (settings.Suspended) return Suspended(context, settings);
            if (settings.AllowedOrigins.Count > 0 && IsWebSocketUpgrade(context)
                && context.User.FindFirst(PlatformClaims.Role)?.Value == Roles.Visitor
                && !OriginAllowed(context, settings))
                return OriginRefused(context);
            return next(context);
        }

        if (HttpMethods.IsPost(context.Request.Method)
            && (IsPath(context.Request.Path, LoginPath) || IsPath(context.Request.Path, VisitorPath)))
            return SignInAsync(context);
        return next(context);
    }

    /// <summary>
    /// The path as the service behind will route it: ASP.NET routing takes <c>/api/auth/visitor/</c> (and
    /// <c>//</c>-doubled trailing slashes) as <c>/api/auth/visitor</c>, so the check must too, or a trailing slash
    /// walks past it.
    /// </summary>
    internal static bool IsPath(PathString path, string target) =>
        path.HasValue && path.Value.AsSpan().TrimEnd('/').Equals(target, StringComparison.OrdinalIgnoreCase);

    /// <summary>An HTTP/1.1 upgrade or an HTTP/2 extended CONNECT to a WebSocket (YARP proxies both; no UseWebSockets here).</summary>
    internal static bool IsWebSocketUpgrade(HttpContext context) =>
        context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true, Protocol: var protocol }
            ? string.Equals(protocol, "websocket", StringComparison.OrdinalIgnoreCase)
            : context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);

    /// <summary>No Origin (not a browser: browsers always send it on sockets and cross-site POSTs), the gateway's own pages, or a listed origin.</summary>
    internal static bool OriginAllowed(HttpContext context, GatewaySettings settings)
    {
        var header = context.Request.Headers.Origin;
        if (header.Count == 0) return true;
        if (header.Count > 1 || !WebOrigin.TryParse(header[0], out var origin)) return false;
        if (string.Equals(new Uri(header[0]!).Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var entry in settings.AllowedOrigins)
            if (WebOrigin.TryParsePattern(entry, out var allowed, out _) && allowed.Matches(origin)) return true;
        return false;
    }

    private async Task SignInAsync(HttpContext context)
    {
        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer));
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(original);
        }

        if (context.Response.StatusCode == StatusCodes.Status200OK && buffer.Length <= MaxSignInAnswerBytes
            && TenantOf(buffer) is { } tenant)
        {
            context.Items[SignedInTenantKey] = tenant;
            var settings = live.Current.Get<GatewaySettings>(tenant);
            if (settings.Suspended) { Reset(context); await Suspended(context, settings); return; }
            if (settings.AllowedOrigins.Count > 0 && IsPath(context.Request.Path, VisitorPath)
                && !OriginAllowed(context, settings))
            {
                Reset(context);
                await OriginRefused(context);
                return;
            }
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original.Stream, context.RequestAborted);
    }

    private static string? TenantOf(MemoryStream buffer)
    {
        try
        {
            using var json = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("tenant", out var t)
                   && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Reset(HttpContext context)
    {
        context.Response.Headers.Clear();
        context.Response.ContentLength = null;
    }

    private static Task Suspended(HttpContext context, GatewaySettings settings) =>
        Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Tenant suspended",
            string.IsNullOrWhiteSpace(settings.SuspendedReason)
                ? "This tenant's service is suspended: contact the platform operator."
                : $"This tenant's service is suspended: {settings.SuspendedReason}").AsTask();

    private static Task OriginRefused(HttpContext context) =>
        Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Origin not allowed",
            $"Pages from '{context.Request.Headers.Origin}' may not open this tenant's chat: the tenant's gateway.allowed_origins do not list it.").AsTask();
}

internal static class TenantPolicyExtensions
{
    public static IApplicationBuilder UseTenantPolicy(this IApplicationBuilder app) => app.UseMiddleware<TenantPolicyMiddleware>();
}
