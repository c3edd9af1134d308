using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace CustomerService.Gateway.Edge;

/// <summary>
/// Several gateway processes on one port (configuration <c>Edge:SharePort</c>): each binds its listening socket with
/// SO_REUSEPORT and the Linux kernel spreads new connections over them. A process may hold only so many descriptors
/// and the gateway spends two per proxied socket, so the socket tier grows by processes, with no balancer in front
/// that would itself spend two descriptors per socket.
/// </summary>
public static class SharedPort
{
    public const string Setting = "Edge:SharePort";

    // Linux values (asm-generic/socket.h): SOL_SOCKET = 1, SO_REUSEPORT = 15.
    private const int SolSocket = 1, SoReusePort = 15;

    public static IHostApplicationBuilder AddSharedPort(this IHostApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>(Setting)) return builder;
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException($"{Setting} needs Linux (SO_REUSEPORT).");
        builder.Services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = Bind);
        return builder;
    }

    /// <summary>Kestrel's own listening socket, with SO_REUSEPORT set before the bind.</summary>
    public static Socket Bind(EndPoint endpoint)
    {
        if (endpoint is not IPEndPoint ip) return SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            socket.Bind(ip);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
