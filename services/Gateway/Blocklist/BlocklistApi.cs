using System.Net;
using CustomerService.Gateway.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace CustomerService.Gateway.Blocklist;

public sealed record BlockRequest(string? Ip);

public sealed record BlocklistResponse(IReadOnlyList<string> Blocked);

/// <summary>GET/POST/DELETE /api/gateway/blocklist, for admins: changes reach every replica within moments.</summary>
public static class BlocklistApi
{
    public static IHostApplicationBuilder AddBlocklist(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<BlocklistOptions>().BindConfiguration(BlocklistOptions.Section)
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, "Blocklist:RefreshInterval must be positive.").ValidateOnStart();
        builder.Services.AddSingleton<IpBlocklist>();
        builder.Services.AddSingleton<BlocklistStore>();
        builder.Services.AddSingleton<BlocklistSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BlocklistSync>());
        return builder;
    }

    public static IApplicationBuilder UseBlocklist(this IApplicationBuilder app) => app.UseMiddleware<BlocklistMiddleware>();

    public static RouteGroupBuilder MapBlocklistApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/gateway/blocklist").RequireAuthorization(AccessPolicies.GatewayAdmin);
        api.MapGet("/", ListAsync);
        api.MapPost("/", BlockAsync);
        api.MapDelete("/{ip}", UnblockAsync);
        return api;
    }

    internal static async Task<Results<Ok<BlocklistResponse>, ProblemHttpResult>> ListAsync(BlocklistStore store)
    {
        try
        {
            var blocked = await store.LoadAsync();
            return TypedResults.Ok(new BlocklistResponse(blocked.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList()));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException) { return Unavailable(); }
    }

    internal static async Task<Results<Created<BlocklistResponse>, Ok<BlocklistResponse>, ValidationProblem, ProblemHttpResult>> BlockAsync(
        BlockRequest request, BlocklistStore store, BlocklistSync sync)
    {
        if (!IpBlocklist.TryParse(request.Ip, out var address)) return InvalidAddress(request.Ip);
        try
        {
            var added = await store.AddAsync(address);
            await sync.RefreshAsync();
            var body = new BlocklistResponse([address.ToString()]);
            return added ? TypedResults.Created($"/api/gateway/blocklist/{address}", body) : TypedResults.Ok(body);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException) { return Unavailable(); }
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> UnblockAsync(
        string ip, BlocklistStore store, BlocklistSync sync)
    {
        if (!IpBlocklist.TryParse(ip, out var address)) return InvalidAddress(ip);
        try
        {
            var removed = await store.RemoveAsync(address);
            await sync.RefreshAsync();
            return removed
                ? TypedResults.NoContent()
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not blocked", detail: $"{address} is not on the blocklist.");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException) { return Unavailable(); }
    }

    private static ValidationProblem InvalidAddress(string? text) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["ip"] = [$"'{text}' is not an IPv4 or IPv6 address."] });

    private static ProblemHttpResult Unavailable() => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Blocklist unavailable", detail: "Redis, where the blocklist lives, does not answer; the last known list stays in force.");
}
