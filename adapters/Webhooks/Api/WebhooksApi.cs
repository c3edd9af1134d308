using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerService.Contracts;
using CustomerService.Webhooks.Delivery;
using CustomerService.Webhooks.Registrations;
using Microsoft.Extensions.Options;

namespace CustomerService.Webhooks.Api;

/// <summary>Body of POST /api/admin/webhooks and PUT /api/admin/webhooks/{id} (a PUT replaces every field).</summary>
public sealed record WebhookWrite
{
    public string? Url { get; init; }
    public string[]? Events { get; init; }
    public string? Description { get; init; }
    /// <summary>Default true.</summary>
    public bool? Enabled { get; init; }
}

/// <summary>
/// A webhook as the API shows it: <see cref="Secret"/> only in the answer that creates it; <see cref="Circuit"/> is
/// the state of its URL's circuit breaker in the replica that answered.
/// </summary>
public sealed record WebhookView(Guid Id, string Url, string[] Events, string Description, bool Enabled, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, CircuitView Circuit, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    public static WebhookView From(Webhook w, CircuitBreakers breakers, string? secret = null) =>
        new(w.Id, w.Url, w.Events, w.Description, w.Enabled, w.CreatedAt, w.UpdatedAt, breakers.View(w.Id, w.Url), secret);
}

/// <summary>
/// The tenant's webhooks and their deliveries (docs/webhooks.md). The tenant and role come from the identity headers
/// the gateway sets (X-CS-Tenant, X-CS-User, X-CS-Role): admins change webhooks, read secrets and replay; supervisors
/// read. Problems are RFC 7807 documents; invalid input is a ValidationProblem keyed by the snake_case field.
/// </summary>
public static class WebhooksApi
{
    public const string Prefix = "/api/admin/webhooks";
    public const int MaxUrlLength = 2000;
    public const int MaxDescriptionLength = 200;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup(Prefix).WithTags("Webhooks");
        hooks.MapGet("/", ListAsync).WithSummary("The tenant's webhooks (no secrets)");
        hooks.MapGet("/events", (HttpRequest request) =>
            Authorize(request, write: false, out _) ?? TypedResults.Json(WebhookEvents.All, Json)).WithSummary("The event names a webhook can subscribe to");
        hooks.MapPost("/", CreateAsync).ProducesValidationProblem();
        hooks.MapGet("/{id:guid}", GetAsync);
        hooks.MapPut("/{id:guid}", UpdateAsync).ProducesValidationProblem();
        hooks.MapDelete("/{id:guid}", DeleteAsync);
        hooks.MapGet("/{id:guid}/secret", GetSecretAsync).WithSummary("The signing secret (admins)");
        hooks.MapPost("/{id:guid}/secret", RotateSecretAsync).WithSummary("A new signing secret; the old one signs beside it for ?overlap_seconds= (admins)");

        hooks.MapGet("/deliveries", ListDeliveriesAsync).WithSummary("Deliveries, newest first: ?webhook_id=&state=pending|delivered|dead&limit=");
        hooks.MapGet("/dead-letters", ListDeadAsync).WithSummary("Dead deliveries (the retry budget ran out), newest first");
        hooks.MapPost("/dead-letters/replay", ReplayAllDeadAsync).WithSummary("Send every dead delivery (of ?webhook_id=) again");
        hooks.MapGet("/deliveries/{id:guid}", GetDeliveryAsync).WithSummary("One delivery with its body");
        hooks.MapPost("/deliveries/{id:guid}/replay", ReplayAsync).WithSummary("Send a dead or delivered delivery again (same delivery id)");
        hooks.MapDelete("/deliveries/{id:guid}", DiscardAsync).WithSummary("Remove a dead delivery");
        return app;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, WebhookStore store, CircuitBreakers breakers, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        return Ok((await store.ListAsync(caller.TenantId, ct)).Select(w => WebhookView.From(w, breakers)).ToArray());
    }

    private static async Task<IResult> GetAsync(HttpRequest request, Guid id, WebhookStore store, CircuitBreakers breakers, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        return await store.GetAsync(caller.TenantId, id, ct) is { } webhook ? Ok(WebhookView.From(webhook, breakers)) : WebhookNotFound(id);
    }

    /// <summary>The URL's host must not be (or resolve to) a non-public address: a validation problem on <c>url</c>.</summary>
    private static async Task<IResult?> CheckAddressAsync(string url, NetworkFilter filter, CancellationToken ct) =>
        await filter.CheckHostAsync(new Uri(url), TimeSpan.FromSeconds(2), ct) is { } refusal
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["url"] = [refusal] }, title: "The webhook is not valid")
            : null;

    private static async Task<IResult> CreateAsync(HttpRequest request, WebhookStore store, SubscriptionCache cache, CircuitBreakers breakers,
        NetworkFilter filter, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<WebhookWrite>(request, Json, ct);
        if (problem is not null) return problem;
        if (Validate(body!, options.Value, out var url, out var events) is { } invalid) return invalid;
        if (await CheckAddressAsync(url, filter, ct) is { } refused) return refused;
        if (await store.CountAsync(caller.TenantId, ct) >= options.Value.MaxWebhooksPerTenant)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too many webhooks",
                detail: $"A tenant may register {options.Value.MaxWebhooksPerTenant} webhooks; delete one first.");
        var (webhook, secret) = await store.CreateAsync(caller.TenantId, url, events, body!.Description?.Trim() ?? "", body.Enabled ?? true, ct);
        cache.Invalidate();
        return TypedResults.Json(WebhookView.From(webhook, breakers, secret), Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(HttpRequest request, Guid id, WebhookStore store, SubscriptionCache cache, CircuitBreakers breakers,
        NetworkFilter filter, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var (body, problem) = await JsonBody.ReadAsync<WebhookWrite>(request, Json, ct);
        if (problem is not null) return problem;
        if (Validate(body!, options.Value, out var url, out var events) is { } invalid) return invalid;
        if (await CheckAddressAsync(url, filter, ct) is { } refused) return refused;
        var webhook = await store.UpdateAsync(caller.TenantId, id, url, events, body!.Description?.Trim() ?? "", body.Enabled ?? true, ct);
        if (webhook is null) return WebhookNotFound(id);
        cache.Invalidate();
        return Ok(WebhookView.From(webhook, breakers));
    }

    private static async Task<IResult> DeleteAsync(HttpRequest request, Guid id, WebhookStore store, SubscriptionCache cache, CircuitBreakers breakers,
        CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        if (!await store.DeleteAsync(caller.TenantId, id, ct)) return WebhookNotFound(id);
        cache.Invalidate();
        breakers.Forget(id);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> GetSecretAsync(HttpRequest request, Guid id, WebhookStore store, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        if (await store.GetSecretAsync(caller.TenantId, id, ct) is not { } secret) return WebhookNotFound(id);
        return Ok(new { secret, previous_secret_expires_at = await store.PreviousSecretExpiresAtAsync(caller.TenantId, id, ct) });
    }

    /// <summary>A new secret; the previous one keeps signing beside it for ?overlap_seconds= (default Webhooks:SecretOverlap; 0: not at all).</summary>
    private static async Task<IResult> RotateSecretAsync(HttpRequest request, Guid id, WebhookStore store, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        var overlap = options.Value.SecretOverlap;
        if (request.Query["overlap_seconds"].ToString() is { Length: > 0 } text)
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                || seconds > 7 * 24 * 3600)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["overlap_seconds"] = ["must be a whole number of seconds, 0 to 604800 (7 days)."] });
            overlap = TimeSpan.FromSeconds(seconds);
        }
        return await store.RotateSecretAsync(caller.TenantId, id, overlap, ct) is { } rotated
            ? Ok(new { secret = rotated.Secret, previous_secret_expires_at = rotated.PreviousExpiresAt })
            : WebhookNotFound(id);
    }

    private static async Task<IResult> ListDeliveriesAsync(HttpRequest request, DeliveryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        if (Query(request, out var webhookId, out var state, out var limit) is { } invalid) return invalid;
        return Ok(await store.ListAsync(caller.TenantId, webhookId, state, limit, ct));
    }

    private static async Task<IResult> ListDeadAsync(HttpRequest request, DeliveryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        if (Query(request, out var webhookId, out _, out var limit) is { } invalid) return invalid;
        return Ok(await store.ListAsync(caller.TenantId, webhookId, "dead", limit, ct));
    }

    private static async Task<IResult> GetDeliveryAsync(HttpRequest request, Guid id, DeliveryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: false, out var caller) is { } denied) return denied;
        return await store.GetAsync(caller.TenantId, id, ct) is { } delivery ? Ok(delivery) : DeliveryNotFound(id);
    }

    private static async Task<IResult> ReplayAsync(HttpRequest request, Guid id, DeliveryStore store, DispatchSignal signal, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        switch (await store.ReplayAsync(caller.TenantId, id, ct))
        {
            case null: return DeliveryNotFound(id);
            case false:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already pending",
                    detail: "The delivery is waiting to be sent; it can be replayed once it is dead or delivered.");
            default:
                signal.Wake();
                return TypedResults.Json(new { replayed = 1 }, Json, statusCode: StatusCodes.Status202Accepted);
        }
    }

    private static async Task<IResult> ReplayAllDeadAsync(HttpRequest request, DeliveryStore store, DispatchSignal signal, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        if (Query(request, out var webhookId, out _, out _) is { } invalid) return invalid;
        int replayed = await store.ReplayDeadAsync(caller.TenantId, webhookId, ct);
        if (replayed > 0) signal.Wake();
        return TypedResults.Json(new { replayed }, Json, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> DiscardAsync(HttpRequest request, Guid id, DeliveryStore store, CancellationToken ct)
    {
        if (Authorize(request, write: true, out var caller) is { } denied) return denied;
        return await store.DiscardAsync(caller.TenantId, id, ct) switch
        {
            null => DeliveryNotFound(id),
            false => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not dead",
                detail: "Only dead deliveries can be discarded."),
            _ => TypedResults.NoContent(),
        };
    }

    /// <summary>The URL (absolute http or https; https only when configured so) and the events (known names, at least one).</summary>
    internal static IResult? Validate(WebhookWrite body, WebhookOptions options, out string url, out string[] events)
    {
        var errors = new Dictionary<string, string[]>();
        url = body.Url?.Trim() ?? "";
        events = [];
        if (url.Length == 0) errors["url"] = ["is required."];
        else if (url.Length > MaxUrlLength) errors["url"] = [$"must be at most {MaxUrlLength} characters."];
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                 || string.IsNullOrEmpty(uri.Host))
            errors["url"] = ["must be an absolute http:// or https:// URL."];
        else if (options.RequireHttps && uri.Scheme != Uri.UriSchemeHttps) errors["url"] = ["must be an https:// URL."];
        else if (uri.UserInfo.Length > 0) errors["url"] = ["must not carry a user name or password."];
        else if (uri.Fragment.Length > 0) errors["url"] = ["must not have a #fragment."];

        if (body.Events is null || body.Events.Length == 0)
            errors["events"] = [$"name at least one event: {string.Join(", ", WebhookEvents.All)}."];
        else
        {
            for (int i = 0; i < body.Events.Length; i++)
                if (body.Events[i] is not { } name || !WebhookEvents.IsKnown(name))
                    errors[$"events[{i}]"] = [$"'{body.Events[i]}' is not an event; one of {string.Join(", ", WebhookEvents.All)}."];
            events = body.Events.Distinct(StringComparer.Ordinal).ToArray();
        }
        if (body.Description is { Length: > MaxDescriptionLength })
            errors["description"] = [$"must be at most {MaxDescriptionLength} characters."];
        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors, title: "The webhook is not valid");
    }

    private static IResult? Query(HttpRequest request, out Guid? webhookId, out string? state, out int limit)
    {
        var errors = new Dictionary<string, string[]>();
        webhookId = null;
        state = null;
        limit = 50;
        if (request.Query["webhook_id"].ToString() is { Length: > 0 } id)
        {
            if (Guid.TryParse(id, out var parsed)) webhookId = parsed;
            else errors["webhook_id"] = ["must be a webhook id."];
        }
        if (request.Query["state"].ToString() is { Length: > 0 } s)
        {
            if (DeliveryStore.States.Contains(s)) state = s;
            else errors["state"] = [$"must be one of {string.Join(", ", DeliveryStore.States)}."];
        }
        if (request.Query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 1 or > 500))
            errors["limit"] = ["must be between 1 and 500."];
        return errors.Count == 0 ? null : TypedResults.ValidationProblem(errors);
    }

    private static IResult? Authorize(HttpRequest request, bool write, out GatewayCaller caller) =>
        write
            ? GatewayCaller.Authorize(request, c => c.IsAdmin, "Only admins change webhooks, read their secrets and replay deliveries.", out caller)
            : GatewayCaller.Authorize(request, c => c.IsSupervisorOrAdmin, "Only admins and supervisors read webhooks.", out caller);

    private static IResult Ok<T>(T value) => TypedResults.Json(value, Json);

    private static IResult WebhookNotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such webhook", detail: $"The tenant has no webhook {id}.");

    private static IResult DeliveryNotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such delivery", detail: $"The tenant has no delivery {id}.");
}
