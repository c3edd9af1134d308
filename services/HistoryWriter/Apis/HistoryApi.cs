using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Archive;
using CustomerService.HistoryWriter.History;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CustomerService.HistoryWriter.Apis;

/// <summary>
/// The history query API under /api/history (the gateway forwards it here). Agents read transcripts, search and
/// export; supervisors and admins also read BI figures; admins set the tenant's retention and see and replay parked
/// messages.
/// </summary>
public static class HistoryApi
{
    private static readonly string[] Staff = [Roles.Agent, Roles.Supervisor, Roles.Admin];
    private static readonly string[] Managers = [Roles.Supervisor, Roles.Admin];
    private static readonly string[] Admins = [Roles.Admin];

    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/history").WithTags("History");

        api.MapGet("/conversations/{conversationId}/messages", GetTranscriptAsync).AddEndpointFilter(Caller.Require(Staff));
        api.MapGet("/conversations/{conversationId}/export", ExportAsync).AddEndpointFilter(Caller.Require(Staff));
        api.MapGet("/search", SearchAsync).AddEndpointFilter(Caller.Require(Staff));
        api.MapGet("/stats", GetStatsAsync).AddEndpointFilter(Caller.Require(Managers));
        api.MapGet("/retention", GetRetention).AddEndpointFilter(Caller.Require(Admins));
        api.MapPut("/retention", SetRetentionAsync).AddEndpointFilter(Caller.Require(Admins));
        api.MapGet("/parked", GetParkedAsync).AddEndpointFilter(Caller.Require(Admins));
        api.MapPost("/parked/{id}/replay", ReplayParkedAsync).AddEndpointFilter(Caller.Require(Admins));
        api.MapPost("/parked/replay", ReplayAllParkedAsync).AddEndpointFilter(Caller.Require(Admins));
        return app;
    }

    internal static async Task<Results<Ok<TranscriptPage>, ProblemHttpResult>> GetTranscriptAsync(
        string conversationId, long? after, long? before, int? limit, Caller caller, HistoryQueries queries, CancellationToken cancellationToken)
    {
        var size = limit ?? 50;
        if (size is < 1 or > 500) return Invalid("limit", "limit must be between 1 and 500");
        if (after is < 0 || before is < 1) return Invalid("after", "after must be 0 or more and before 1 or more");
        var page = await queries.TranscriptAsync(caller.Tenant, conversationId, after, before, size, cancellationToken);
        if (page.Messages.Count > 0) return TypedResults.Ok(page);
        return await queries.OwnerOfAsync(caller.Tenant, conversationId, cancellationToken) switch
        {
            ConversationOwner.Caller => TypedResults.Ok(page),
            ConversationOwner.AnotherTenant => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your tenant's conversation"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such conversation"),
        };
    }

    internal static async Task<Results<JsonHttpResult<ConversationExport>, ProblemHttpResult>> ExportAsync(
        string conversationId, Caller caller, HistoryQueries queries, HttpContext context, CancellationToken cancellationToken)
    {
        var export = await queries.ExportAsync(caller.Tenant, conversationId, cancellationToken);
        if (export is null)
        {
            return await queries.OwnerOfAsync(caller.Tenant, conversationId, cancellationToken) == ConversationOwner.AnotherTenant
                ? TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your tenant's conversation")
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such conversation");
        }
        var fileName = string.Concat(conversationId.Where(char.IsAsciiLetterOrDigit).Take(64));
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"conversation-{fileName}.json\"";
        return TypedResults.Json(export, HistoryApiJsonContext.Default.ConversationExport);
    }

    internal static async Task<Results<Ok<SearchResult>, ProblemHttpResult>> SearchAsync(
        string? q, string? customer, string? agent, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        Caller caller, HistoryQueries queries, TimeProvider time, IOptions<HistoryOptions> options, CancellationToken cancellationToken)
    {
        var size = limit ?? 50;
        if (size is < 1 or > 1000) return Invalid("limit", "limit must be between 1 and 1000");
        if (q is { Length: > 200 }) return Invalid("q", "the search text is limited to 200 characters");
        if (OutOfRange(from, to) is { } outOfRange) return outOfRange;
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-30);
        if (start >= end) return Invalid("from", "from must be before to");
        // One search reads the tenant's messages of the whole period: a wide one would hold the engine for long.
        var maxRange = options.Value.SearchMaxRange;
        if (end - start > maxRange)
            return Invalid("from", $"a search covers at most {maxRange.TotalDays:0.##} days (History:SearchMaxRange); from and to are " +
                $"{(end - start).TotalDays:0.##} days apart");
        var result = await queries.SearchAsync(caller.Tenant,
            new SearchCriteria(q?.Trim(), customer, agent, start, end, size), cancellationToken);
        return TypedResults.Ok(result);
    }

    internal static async Task<Results<Ok<StatsReport>, ProblemHttpResult>> GetStatsAsync(
        DateTimeOffset? from, DateTimeOffset? to, string? bucket, string? by, string? tz,
        Caller caller, HistoryQueries queries, TimeProvider time, CancellationToken cancellationToken)
    {
        StatsBucket? size = (bucket ?? "hour") switch { "hour" => StatsBucket.Hour, "day" => StatsBucket.Day, _ => null };
        if (size is null) return Invalid("bucket", "bucket is hour or day");
        StatsDimension? dimension = (by ?? "tenant") switch
        {
            "tenant" => StatsDimension.Tenant,
            "agent" => StatsDimension.Agent,
            "skill_group" => StatsDimension.SkillGroup,
            _ => null,
        };
        if (dimension is null) return Invalid("by", "by is tenant, agent or skill_group");
        if (OutOfRange(from, to) is { } outOfRange) return outOfRange;
        var zone = await queries.TimeZoneAsync(tz ?? "UTC", cancellationToken);
        if (zone is null) return Invalid("tz", $"unknown time zone '{tz}' (an IANA name such as Asia/Shanghai, or a Windows name)");
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-1);
        if (start >= end) return Invalid("from", "from must be before to");
        if (end - start > TimeSpan.FromDays(366)) return Invalid("from", "a report covers at most 366 days");
        var report = await queries.StatsAsync(caller.Tenant, new StatsCriteria(start, end, size.Value, dimension.Value, zone), cancellationToken);
        return TypedResults.Ok(report);
    }

    internal static Ok<RetentionSetting> GetRetention(Caller caller, TenantRetention retention) =>
        TypedResults.Ok(new RetentionSetting(retention.DaysFor(caller.Tenant)));

    internal static async Task<Results<Ok<RetentionSetting>, ProblemHttpResult>> SetRetentionAsync(
        RetentionSetting setting, Caller caller, TenantRetention retention, CancellationToken cancellationToken)
    {
        if (setting.Days is < 1 or > 36_500) return Invalid("days", "days must be between 1 and 36500");
        await retention.SetAsync(caller.Tenant, (ushort)setting.Days, cancellationToken);
        return TypedResults.Ok(setting);
    }

    internal static async Task<Results<Ok<ParkedPage>, ProblemHttpResult>> GetParkedAsync(
        int? limit, string? before, Caller caller, HistoryQueries queries, CancellationToken cancellationToken)
    {
        var size = limit ?? 100;
        if (size is < 1 or > 1000) return Invalid("limit", "limit must be between 1 and 1000");
        ParkedCursor? cursor = null;
        if (before is not null)
        {
            if (!ParkedCursor.TryParse(before, out var parsed)) return Invalid("before", "before is the nextBefore of a previous page");
            cursor = parsed;
        }
        return TypedResults.Ok(await queries.ParkedAsync(caller.Tenant, size, cursor, cancellationToken));
    }

    internal static async Task<Results<Ok<ParkedReplayReport>, ProblemHttpResult>> ReplayParkedAsync(
        string id, Caller caller, ParkedReplay replay, CancellationToken cancellationToken)
    {
        if (!ParkedId.TryParse(id, out var parkedId)) return NoSuchParked(id);
        var outcome = await replay.ReplayAsync(caller.Tenant, parkedId, caller.User, cancellationToken);
        if (outcome is null) return NoSuchParked(id);
        if (outcome.Value.Reason is { } reason)
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Still parked",
                detail: reason, extensions: new Dictionary<string, object?> { ["id"] = id });
        return TypedResults.Ok(new ParkedReplayReport(1, []));
    }

    internal static async Task<Results<Ok<ParkedReplayReport>, ProblemHttpResult>> ReplayAllParkedAsync(
        int? limit, Caller caller, ParkedReplay replay, CancellationToken cancellationToken)
    {
        var size = limit ?? 1000;
        if (size is < 1 or > 10_000) return Invalid("limit", "limit must be between 1 and 10000");
        return TypedResults.Ok(await replay.ReplayAllAsync(caller.Tenant, size, caller.User, cancellationToken));
    }

    private static ProblemHttpResult NoSuchParked(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such parked message",
            detail: $"the tenant has no parked message '{id}' (ids look like CHAT_MESSAGES-42)");

    /// <summary>The dates ClickHouse's DateTime64 holds; outside them the engine (and date arithmetic here) cannot follow.</summary>
    private static readonly DateTimeOffset Earliest = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2299, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private static ProblemHttpResult? OutOfRange(DateTimeOffset? from, DateTimeOffset? to) =>
        from is { } f && (f < Earliest || f > Latest) ? Invalid("from", "from must be between 1900-01-01 and 2299-12-31")
        : to is { } t && (t < Earliest || t > Latest) ? Invalid("to", "to must be between 1900-01-01 and 2299-12-31")
        : null;

    private static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: message,
            extensions: new Dictionary<string, object?> { ["field"] = field });
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TranscriptPage))]
[JsonSerializable(typeof(SearchResult))]
[JsonSerializable(typeof(StatsReport))]
[JsonSerializable(typeof(ConversationExport))]
[JsonSerializable(typeof(RetentionSetting))]
[JsonSerializable(typeof(ParkedPage))]
[JsonSerializable(typeof(ParkedReplayReport))]
public sealed partial class HistoryApiJsonContext : JsonSerializerContext;
