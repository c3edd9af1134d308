using System.Text.RegularExpressions;
using CustomerService.Gateway.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// One route of a running gateway, read from its own endpoints: each YARP route of the ReverseProxy configuration it
/// loaded, and every endpoint it maps itself (the blocklist API, the health probes).
/// </summary>
/// <param name="Name">"route {id}" for a YARP route, the methods and pattern for one of the gateway's own endpoints.</param>
/// <param name="Access">The policy the route declares: a name of <see cref="AccessPolicies.Rules"/>,
/// <see cref="AccessPolicies.Anonymous"/>, <see cref="HealthProbe"/> for the probes the fallback lets through, or
/// null when it declares none (whatever the fallback then decides is nobody's decision).</param>
/// <param name="Methods">The methods it matches; empty: any.</param>
/// <param name="Proxied">Whether it is a YARP route (answered by the service behind it).</param>
public sealed record GatewayRoute(string Name, string Pattern, string? Access, string[] Methods, bool Proxied)
{
    public const string HealthProbe = "health-probe";

    /// <summary>What the matrix sends: the declared methods, or a read and a write when the route takes any.</summary>
    public IReadOnlyList<string> MatrixMethods => Methods.Length > 0 ? Methods : [HttpMethods.Get, HttpMethods.Post];

    public bool Declared => Access is AccessPolicies.Anonymous or HealthProbe || (Access is not null && AccessPolicies.Rules.ContainsKey(Access));

    /// <summary>Whether the route itself names a tenant (a {tenant} segment); every other route is given one in the query.</summary>
    public bool NamesTenantInPath => Pattern.Contains("{" + SameTenantRequirement.Parameter + "}", StringComparison.OrdinalIgnoreCase);

    /// <summary>A path this route matches, with <paramref name="tenant"/> in its {tenant} segment.</summary>
    public string SamplePath(string tenant)
    {
        var path = Regex.Replace(Pattern, @"\{\*{0,2}(\w+)(:[^}]*)?\}", m =>
            m.Groups[1].Value.Equals(SameTenantRequirement.Parameter, StringComparison.OrdinalIgnoreCase) ? tenant
            : m.Groups[2].Value.Contains("guid") ? "00000000-0000-0000-0000-000000000001"
            : "matrix");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    public override string ToString() => $"{Name} ({Pattern}, {Access ?? "no policy"})";

    /// <summary>Every route of the gateway whose services these are.</summary>
    public static IReadOnlyList<GatewayRoute> Of(IServiceProvider services)
    {
        var routes = new List<GatewayRoute>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            var yarp = endpoint.Metadata.GetMetadata<RouteModel>();
            var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            var access = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null ? AccessPolicies.Anonymous
                : authorize.Count == 1 ? authorize[0].Policy ?? AccessPolicies.AnyToken
                : authorize.Count > 1 ? "several: " + string.Join(", ", authorize.Select(a => a.Policy ?? AccessPolicies.AnyToken))
                : AccessPolicies.HealthProbePaths.Contains(pattern, StringComparer.OrdinalIgnoreCase) ? HealthProbe
                : null;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.ToArray() ?? [];
            var name = yarp is not null ? "route " + yarp.Config.RouteId : methods.Length > 0 ? string.Join(",", methods) + " " + pattern : pattern;
            routes.Add(new GatewayRoute(name, pattern, access, methods, yarp is not null));
        }
        return routes.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    private static readonly Lazy<IReadOnlyList<GatewayRoute>> Started = new(() =>
    {
        // A gateway of its own, for xUnit's discovery (before any fixture): the Program and configuration the fixture's
        // gateway runs, behind nothing.
        var nowhere = new Uri("http://127.0.0.1:9");
        var settings = GatewayHost.UnthrottledSettings(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            "127.0.0.1:9,connectTimeout=200", nowhere, nowhere, nowhere, nowhere);
        using var host = GatewayHost.Start(settings);
        return Of(host.Services);
    });

    /// <summary>The routes of a gateway started as the fixture starts one: what the matrix's cases are made from.</summary>
    public static IReadOnlyList<GatewayRoute> OfTheGateway => Started.Value;
}
