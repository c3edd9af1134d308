using System.Net.WebSockets;
using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using Grpc.Core;

namespace CustomerService.Session.Sockets;

/// <summary>
/// Closes the sockets opened with a token its account has since revoked (role changed, deactivated, deleted,
/// password reset, logout), with close code 4401 "token revoked": the client signs in again. Revocations arrive
/// from Admin through Redis (<see cref="TokenRevocations"/>, within moments); a socket opened with an already
/// revoked token is closed as soon as it is registered. Visitor sockets carry no version and are never closed here.
/// An agent whose consoles were closed so is set offline at once (its conversations re-queued), not after the grace
/// a dropped console gets: the account was shut out, and Routing must stop handing it customers now. Left online is
/// only an account that still holds a socket here opened with a newer token.
/// </summary>
public sealed partial class SocketRevocations(
    TokenRevocations revocations,
    ConnectionRegistry registry,
    AgentPresence presence,
    ILogger<SocketRevocations> logger) : IHostedService
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
        Identity? agent = null;
        var current = false;
        foreach (var connection in registry.ForUser(revocation.Tenant, revocation.Account).ToArray())
        {
            if (connection.Identity.IsCustomer) continue;
            if (connection.Identity.TokenVersion >= revocation.MinVersion) { current = true; continue; }
            Close(connection);
            agent = connection.Identity;
        }
        if (agent is not null && !current) _ = SetOfflineAsync(agent);
    }

    private async Task SetOfflineAsync(Identity agent)
    {
        try
        {
            await presence.SetAsync(agent, AgentStatus.Offline, CancellationToken.None);
            LogSetOffline(agent.Tenant, agent.UserId);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            LogOfflineFailed(e, agent.Tenant, agent.UserId);
        }
    }

    private void Close(ClientConnection connection)
    {
        LogClosing(connection.Identity.Tenant, connection.Identity.UserId, connection.Identity.TokenVersion);
        connection.CloseWith(CloseStatus, CloseReason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket of {Tenant}/{User} closed: its token (version {Version}) was revoked")]
    private partial void LogClosing(string tenant, string user, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "agent {Tenant}/{Agent} set offline: its consoles' token was revoked")]
    private partial void LogSetOffline(string tenant, string agent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent {Tenant}/{Agent} could not be set offline after a revocation (its sockets' grace still will)")]
    private partial void LogOfflineFailed(Exception e, string tenant, string agent);
}
