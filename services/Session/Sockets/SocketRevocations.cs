using System.Net.WebSockets;

namespace CustomerService.Session.Sockets;

/// <summary>
/// Closes the sockets opened with a token its account has since revoked (role changed, deactivated, deleted,
/// password reset, logout), with close code 4401 "token revoked": the client signs in again. Revocations arrive
/// from Admin through Redis (<see cref="TokenRevocations"/>, within moments); a socket opened with an already
/// revoked token is closed as soon as it is registered. Visitor sockets carry no version and are never closed here.
/// </summary>
public sealed partial class SocketRevocations(TokenRevocations revocations, ConnectionRegistry registry, ILogger<SocketRevocations> logger)
    : IHostedService
{
    public const WebSocketCloseStatus CloseStatus = (WebSocketCloseStatus)4401;
    public const string CloseReason = "token revoked";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        revocations.Raised += CloseRevoked;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        revocations.Raised -= CloseRevoked;
        return Task.CompletedTask;
    }

    /// <summary>Called once the socket is in the registry, so a revocation arriving meanwhile finds it either way.</summary>
    public void CloseIfRevoked(ClientConnection connection)
    {
        var identity = connection.Identity;
        if (!identity.IsCustomer && revocations.IsRevoked(TokenRevocation.AccountKey(identity.Tenant, identity.UserId), identity.TokenVersion))
            Close(connection);
    }

    private void CloseRevoked(TokenRevocation revocation)
    {
        foreach (var connection in registry.ForUser(revocation.Tenant, revocation.Account))
            if (!connection.Identity.IsCustomer && connection.Identity.TokenVersion < revocation.MinVersion) Close(connection);
    }

    private void Close(ClientConnection connection)
    {
        LogClosing(connection.Identity.Tenant, connection.Identity.UserId, connection.Identity.TokenVersion);
        connection.CloseWith(CloseStatus, CloseReason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket of {Tenant}/{User} closed: its token (version {Version}) was revoked")]
    private partial void LogClosing(string tenant, string user, int version);
}
