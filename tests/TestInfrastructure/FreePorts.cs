using System.Net;
using System.Net.Sockets;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// Loopback ports for servers a test starts, below the kernel's ephemeral range: a port from that range, taken and
/// given back, can go to an outgoing connection before the server binds it ("address already in use"). Test projects
/// run as processes side by side, so each port handed out is held for the whole process by a lock on a file named
/// after it (the kernel drops the lock when the process ends, however it ends); another process passes it over.
/// </summary>
internal static class FreePorts
{
    /// <summary>Clear of the well-known and registered ports servers on a machine usually hold.</summary>
    private const int Lowest = 20_000;

    private static readonly (int First, int End) Range = BelowEphemeralRange();
    private static readonly string LockFolder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "cs-test-ports")).FullName;
    private static readonly List<FileStream> Held = [];
    private static readonly Lock Gate = new();
    // Each process starts its walk at its own place, so that processes starting at once seldom meet.
    private static int _next = Random.Shared.Next(Range.First, Range.End);

    public static int Next()
    {
        lock (Gate)
        {
            for (int tried = 0; tried < Range.End - Range.First; tried++)
            {
                int port = _next;
                _next = port + 1 == Range.End ? Range.First : port + 1;
                if (TryHold(port)) return port;
            }
        }
        throw new InvalidOperationException($"no free port in {Range.First}–{Range.End - 1}");
    }

    private static bool TryHold(int port)
    {
        FileStream held;
        try
        {
            // FileShare.None takes an exclusive flock on Unix: held by another process (or already by this one), it throws.
            held = new FileStream(Path.Combine(LockFolder, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        if (!Bindable(port))
        {
            held.Dispose();
            return false;
        }
        Held.Add(held);
        return true;
    }

    /// <summary>Nothing holds it, on any IPv4 or IPv6 address (a server started without these locks may).</summary>
    private static bool Bindable(int port)
    {
        using (var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            try { v4.Bind(new IPEndPoint(IPAddress.Any, port)); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse) { return false; }
        if (!Socket.OSSupportsIPv6) return true;
        using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false };
        try { v6.Bind(new IPEndPoint(IPAddress.IPv6Any, port)); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse) { return false; }
        catch (SocketException) { }   // no IPv6 on this machine after all: nothing can hold the port there
        return true;
    }

    /// <summary>
    /// From <see cref="Lowest"/> up to where Linux's ephemeral range starts (ip_local_port_range); where that file is
    /// missing, up to IANA's ephemeral range (49152), which Windows and macOS use.
    /// </summary>
    private static (int First, int End) BelowEphemeralRange()
    {
        int ephemeralStart = 49_152;
        const string file = "/proc/sys/net/ipv4/ip_local_port_range";
        if (File.Exists(file)
            && File.ReadAllText(file).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) is [var first, _]
            && int.TryParse(first, out var start))
            ephemeralStart = start;
        if (ephemeralStart - Lowest < 1_000)
            throw new InvalidOperationException($"the ephemeral range starts at {ephemeralStart} ({file}): no room below it for test ports from {Lowest}");
        return (Lowest, ephemeralStart);
    }
}
