using CustomerService.Contracts;
using CustomerService.Session.Messaging;
using CustomerService.Session.Sockets;
using Microsoft.Extensions.Options;

namespace CustomerService.Session.Apis;

/// <summary>
/// /ws/customer and /ws/agent, reached through the gateway, which has validated the token and set the identity
/// headers (clients cannot set them: the gateway strips them).
/// </summary>
public static class SocketEndpoints
{
    public static IEndpointRouteBuilder MapChatSockets(this IEndpointRouteBuilder app)
    {
        app.Map("/ws/customer", (HttpContext http, SocketSession session, DeliveryReadiness deliveries, IOptions<SessionOptions> options) =>
            AcceptAsync(http, session, deliveries, options.Value, customer: true));
        app.Map("/ws/agent", (HttpContext http, SocketSession session, DeliveryReadiness deliveries, IOptions<SessionOptions> options) =>
            AcceptAsync(http, session, deliveries, options.Value, customer: false));
        return app;
    }

    private static async Task<IResult> AcceptAsync(HttpContext http, SocketSession session, DeliveryReadiness deliveries,
        SessionOptions options, bool customer)
    {
        if (!deliveries.Ready)
        {
            // Just started: a socket taken now would miss what is published before the replica listens.
            http.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem("Session is starting and does not receive deliveries yet; connect again",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (!http.WebSockets.IsWebSocketRequest)
            return TypedResults.Problem("this endpoint speaks WebSocket (docs/protocol.md)", statusCode: StatusCodes.Status400BadRequest);
        if (ReadIdentity(http.Request.Headers) is not { } identity)
            return TypedResults.Problem("no identity: connect through the gateway with a token", statusCode: StatusCodes.Status401Unauthorized);
        if (identity.IsCustomer != customer)
            return TypedResults.Problem(customer ? "this socket is for customers" : "this socket is for agents", statusCode: StatusCodes.Status403Forbidden);

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.KeepAliveInterval * (0.8 + 0.4 * Random.Shared.NextDouble()),
            KeepAliveTimeout = options.KeepAliveTimeout,
        });
        var connection = new ClientConnection(socket, identity, options.OutboxFrames);
        await session.RunAsync(connection, http.RequestAborted);
        return TypedResults.Empty;
    }

    private static Identity? ReadIdentity(IHeaderDictionary headers)
    {
        string? tenant = headers[IdentityHeaders.Tenant], user = headers[IdentityHeaders.User], role = headers[IdentityHeaders.Role];
        if (string.IsNullOrEmpty(tenant) || string.IsNullOrEmpty(user) || string.IsNullOrEmpty(role)) return null;
        var skills = ((string?)headers[IdentityHeaders.SkillGroups])?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var version = int.TryParse(headers[IdentityHeaders.TokenVersion], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new Identity(tenant, user, role, Uri.UnescapeDataString(headers[IdentityHeaders.Name].ToString()), skills) { TokenVersion = version };
    }
}
