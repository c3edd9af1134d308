using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CustomerService.Admin.Configuration;

public sealed record SectionVersion(string Section, long Version);

public sealed record PutResult(string Section, long Version);

/// <summary>
/// The configuration API: one document per section for the caller's tenant (/api/admin/config/{section}), and
/// the platform-wide documents (/api/admin/platform/config/{section}) for admins of the operator tenant.
/// Admins write; supervisors read; agents search canned replies. Every write is validated against the schema
/// of CustomerService.LiveConfig (unknown fields rejected) and audited.
/// </summary>
public static class ConfigurationApi
{
    public const int MaxDocumentBytes = 8 * 1024 * 1024;

    public static IEndpointRouteBuilder MapConfigurationApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/api/admin/config").WithTags("Configuration");
        tenant.MapGet("/", ListAsync).WithSummary("Sections of the caller's tenant and their versions");
        tenant.MapGet("/audit", AuditAsync).WithSummary("Who changed what, newest first");
        var platform = app.MapGroup("/api/admin/platform/config").WithTags("Platform configuration");

        MapSection<RoutingRules>(tenant, platform);
        MapSection<SensitiveWords>(tenant, platform);
        MapSection<BotRules>(tenant, platform);
        MapSection<Faq>(tenant, platform);
        MapSection<CannedReplies>(tenant, platform);
        MapSection<FeatureFlags>(tenant, platform);
        MapSection<TenantSettings>(tenant, platform);
        MapSection<GatewaySettings>(tenant, platform);

        app.MapGet("/api/admin/canned-replies/search", SearchCannedRepliesAsync).WithTags("Configuration")
            .WithSummary("Canned replies of the caller's tenant by shortcut prefix, then by text");
        return app;
    }

    private static void MapSection<T>(RouteGroupBuilder tenant, RouteGroupBuilder platform) where T : class, IConfigSection<T>
    {
        foreach (var (group, isPlatform) in new[] { (tenant, false), (platform, true) })
        {
            var prefix = isPlatform ? "Platform" : "Tenant";
            group.MapGet($"/{T.SectionName}", (HttpContext http, ConfigStore store, IOptions<ConfigurationAdminOptions> options, CancellationToken ct)
                    => GetAsync<T>(http, store, options.Value, isPlatform, ct))
                .WithName($"{prefix}Get_{T.SectionName}")
                .Produces<T>(StatusCodes.Status200OK, "application/json")
                .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
            group.MapPut($"/{T.SectionName}", (HttpContext http, ConfigStore store, IOptions<ConfigurationAdminOptions> options, CancellationToken ct)
                    => PutAsync<T>(http, store, options.Value, isPlatform, ct))
                .WithName($"{prefix}Put_{T.SectionName}")
                .Accepts<T>("application/json")
                .Produces<PutResult>(StatusCodes.Status200OK)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed);
            group.MapDelete($"/{T.SectionName}", (HttpContext http, ConfigStore store, IOptions<ConfigurationAdminOptions> options, CancellationToken ct)
                    => DeleteAsync<T>(http, store, options.Value, isPlatform, ct))
                .WithName($"{prefix}Delete_{T.SectionName}")
                .WithSummary("Back to the defaults (or, for a tenant, to the platform's document)")
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        }
    }

    private static async Task<IResult> GetAsync<T>(HttpContext http, ConfigStore store, ConfigurationAdminOptions options, bool platform, CancellationToken ct)
        where T : class, IConfigSection<T>
    {
        if (Authorize(http.Request, options, platform, write: false, out _, out var tenantId) is { } denied) return denied;
        var stored = await store.GetAsync(tenantId, T.SectionName, ct);
        var descriptor = ConfigSections.Get(T.SectionName);
        var version = stored?.Version ?? 0;
        http.Response.Headers.ETag = ETag(version);
        // Re-serialized through the schema: the caller sees every field, defaults included.
        var json = descriptor.Serialize(stored is null ? T.Empty : descriptor.Parse(stored.Json, strict: false));
        return TypedResults.Text(json, "application/json");
    }

    private static async Task<IResult> PutAsync<T>(HttpContext http, ConfigStore store, ConfigurationAdminOptions options, bool platform, CancellationToken ct)
        where T : class, IConfigSection<T>
    {
        if (Authorize(http.Request, options, platform, write: true, out var caller, out var tenantId) is { } denied) return denied;
        if (!IsJson(http.Request))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Send the document as application/json");
        if (http.Request.ContentLength > MaxDocumentBytes)
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: $"Documents are at most {MaxDocumentBytes} bytes");

        string body;
        using (var reader = new StreamReader(http.Request.Body))
            body = await reader.ReadToEndAsync(ct);

        var descriptor = ConfigSections.Get(T.SectionName);
        object document;
        try
        {
            document = descriptor.Parse(body, strict: true);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [FieldOf(e)] = [Describe(e)] },
                title: $"The {T.SectionName} document is not valid JSON of its schema");
        }
        var errors = descriptor.Validate(document);
        if (!errors.IsValid)
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: $"The {T.SectionName} document is not valid");

        if (!TryExpectedVersion(http.Request, out var expected))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "If-Match must be a version ETag such as \"12\"");
        try
        {
            var version = await store.PutAsync(tenantId, T.SectionName, descriptor.Serialize(document), caller, expected, ct);
            http.Response.Headers.ETag = ETag(version);
            return TypedResults.Ok(new PutResult(T.SectionName, version));
        }
        catch (VersionConflictException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "The document changed since you read it",
                detail: $"It is at version {e.CurrentVersion}: read it again and reapply your change.");
        }
    }

    private static async Task<IResult> DeleteAsync<T>(HttpContext http, ConfigStore store, ConfigurationAdminOptions options, bool platform, CancellationToken ct)
        where T : class, IConfigSection<T>
    {
        if (Authorize(http.Request, options, platform, write: true, out var caller, out var tenantId) is { } denied) return denied;
        if (!TryExpectedVersion(http.Request, out var expected))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "If-Match must be a version ETag such as \"12\"");
        try
        {
            await store.PutAsync(tenantId, T.SectionName, null, caller, expected, ct);
            return TypedResults.NoContent();
        }
        catch (VersionConflictException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "The document changed since you read it",
                detail: $"It is at version {e.CurrentVersion}.");
        }
    }

    private static async Task<Results<Ok<SectionVersion[]>, ProblemHttpResult>> ListAsync(
        HttpRequest request, ConfigStore store, IOptions<ConfigurationAdminOptions> options, CancellationToken ct)
    {
        if (Authorize(request, options.Value, platform: false, write: false, out _, out var tenantId) is { } denied) return (ProblemHttpResult)denied;
        var versions = await store.VersionsAsync(tenantId, ct);
        // The agent directory is published from the agents API, not edited here.
        return TypedResults.Ok(ConfigSections.All.Where(d => d.Name != ConfigSections.Agents)
            .Select(d => new SectionVersion(d.Name, versions.GetValueOrDefault(d.Name))).ToArray());
    }

    private static async Task<Results<Ok<IReadOnlyList<ConfigAuditEntry>>, ValidationProblem, ProblemHttpResult>> AuditAsync(
        HttpRequest request, ConfigStore store, IOptions<ConfigurationAdminOptions> options, string? section, int? limit, CancellationToken ct)
    {
        if (Authorize(request, options.Value, platform: false, write: false, out _, out var tenantId) is { } denied) return (ProblemHttpResult)denied;
        if (section is not null && !ConfigSections.TryGet(section, out _))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["section"] = [$"Unknown section '{section}'."] });
        if (limit is < 1 or > 500)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["Must be between 1 and 500."] });
        return TypedResults.Ok(await store.ReadAuditAsync(tenantId, section, limit ?? 50, ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<FoundCannedReply>>, ProblemHttpResult>> SearchCannedRepliesAsync(
        HttpRequest request, ConfigStore store, string? q, int? limit, CancellationToken ct)
    {
        if (GatewayCaller.Authorize(request, c => c.Role is Roles.Admin or Roles.Supervisor or Roles.Agent,
                "Canned replies are for agents, supervisors and admins.", out var caller) is { } denied) return denied;
        var stored = await store.GetAsync(caller.TenantId, ConfigSections.CannedReplies, ct)
                     ?? await store.GetAsync(LiveConfigSnapshot.PlatformTenant, ConfigSections.CannedReplies, ct);
        var replies = stored is null ? CannedReplies.Empty : (CannedReplies)ConfigSections.Get(ConfigSections.CannedReplies).Parse(stored.Json, strict: false);
        return TypedResults.Ok(replies.Search(q ?? "", Math.Clamp(limit ?? 20, 1, 100)));
    }

    /// <summary>Null when the caller may go on; else the 401 or 403 to answer.</summary>
    private static ProblemHttpResult? Authorize(HttpRequest request, ConfigurationAdminOptions options, bool platform, bool write,
        out GatewayCaller caller, out string tenantId)
    {
        tenantId = "";
        var denied = write
            ? GatewayCaller.Authorize(request, c => c.IsAdmin, "Only admins change configuration.", out caller)
            : GatewayCaller.Authorize(request, c => c.IsSupervisorOrAdmin, "Only admins and supervisors read configuration.", out caller);
        if (denied is not null) return denied;
        if (platform)
        {
            if (caller.TenantId != options.OperatorTenant)
                return GatewayCaller.NotAllowed($"Platform configuration belongs to the operator tenant '{options.OperatorTenant}'.");
            tenantId = LiveConfigSnapshot.PlatformTenant;
        }
        else tenantId = caller.TenantId;
        return null;
    }

    private static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    private static string ETag(long version) => $"\"{version}\"";

    private static bool TryExpectedVersion(HttpRequest request, out long? expected)
    {
        expected = null;
        var ifMatch = request.Headers.IfMatch.ToString();
        if (ifMatch.Length == 0 || ifMatch == "*") return true;
        if (EntityTagHeaderValue.TryParse(ifMatch, out var tag) && long.TryParse(tag.Tag.AsSpan().Trim('"'), out var version))
        {
            expected = version;
            return true;
        }
        return false;
    }

    /// <summary>The field a JSON error is about (an unknown one included), in the wire's snake_case path without the leading "$.".</summary>
    private static string FieldOf(JsonException e)
    {
        var path = e.Path is { Length: > 0 } p ? (p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : p.TrimStart('$')) : "";
        return path.Length == 0 ? "$" : path;
    }

    private static string Describe(JsonException e) =>
        e.Message.StartsWith("The JSON property '", StringComparison.Ordinal) ? "is not a field of this section."
        : e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
}
