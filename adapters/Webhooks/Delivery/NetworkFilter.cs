using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace CustomerService.Webhooks.Delivery;

/// <summary>
/// Keeps webhooks off the platform's own network (SSRF): an address that is loopback, link-local, private, CGNAT,
/// multicast, unspecified or otherwise not on the public internet is refused, at registration and again on the
/// address each POST actually connects to (a name that resolved to a public address at registration may resolve
/// to 10.0.0.5 later: DNS rebinding). <see cref="WebhookOptions.AllowPrivateNetworks"/> (everything) and
/// <see cref="WebhookOptions.AllowedNetworks"/> (CIDR ranges) open it for local runs and tests.
/// </summary>
public sealed class NetworkFilter
{
    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network", unspecified
        IPNetwork.Parse("10.0.0.0/8"),       // private
        IPNetwork.Parse("100.64.0.0/10"),    // CGNAT
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local (cloud metadata at 169.254.169.254)
        IPNetwork.Parse("172.16.0.0/12"),    // private
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"),     // documentation
        IPNetwork.Parse("192.168.0.0/16"),   // private
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),  // documentation
        IPNetwork.Parse("203.0.113.0/24"),   // documentation
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, broadcast
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("64:ff9b:1::/48"),   // local-use NAT64
        IPNetwork.Parse("100::/64"),         // discard
        IPNetwork.Parse("2001:db8::/32"),    // documentation
        IPNetwork.Parse("fc00::/7"),         // unique local (private)
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    private readonly bool _allowPrivate;
    private readonly IPNetwork[] _allowed;

    public NetworkFilter(IOptions<WebhookOptions> options)
    {
        _allowPrivate = options.Value.AllowPrivateNetworks;
        _allowed = options.Value.AllowedNetworks.Select(n => IPNetwork.Parse(n.Trim())).ToArray();
    }

    /// <summary>Why <paramref name="address"/> may not be sent to, or null when it may.</summary>
    public string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        else if (address.AddressFamily == AddressFamily.InterNetworkV6 && IPNetwork.Parse("64:ff9b::/96").Contains(address))
        {
            // Well-known NAT64: the IPv4 address inside decides.
            var bytes = address.GetAddressBytes();
            address = new IPAddress(bytes.AsSpan(12, 4));
        }
        if (_allowPrivate) return null;
        foreach (var network in _allowed)
            if (network.Contains(address)) return null;
        foreach (var network in NotPublic)
            if (network.Contains(address))
                return $"{address} is not a public internet address ({network}); webhooks may not reach the platform's own network.";
        return null;
    }

    /// <summary>
    /// At registration: an IP literal is checked; a name is resolved (up to <paramref name="timeout"/>) and refused when
    /// any of its addresses is. A name that does not resolve now is accepted: every POST checks again when it connects.
    /// </summary>
    public async Task<string?> CheckHostAsync(Uri uri, TimeSpan timeout, CancellationToken ct)
    {
        var host = uri.IdnHost.TrimEnd('.');
        if (IPAddress.TryParse(host, out var literal)) return Refusal(literal) is { } why ? $"{host}: {why}" : null;
        if (!_allowPrivate && (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)))
            return $"{host} is this machine, not a public internet address; webhooks may not reach the platform's own network.";
        IPAddress[] addresses;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            addresses = await Dns.GetHostAddressesAsync(host, limit.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
        foreach (var address in addresses)
            if (Refusal(address) is { } why) return $"{host} resolves to {why}";
        return null;
    }

    /// <summary>
    /// The HTTP handler's connect step: resolves the host, drops every address the filter refuses, connects to the first
    /// allowed one that answers. No allowed address: the attempt fails with the reason (a failed attempt, retried as any).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        string? refusal = null;
        Exception? last = null;
        foreach (var address in addresses)
        {
            if (Refusal(address) is { } why) { refusal ??= why; continue; }
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        if (last is not null) throw last;
        throw new WebhookAddressRefusedException($"refused to connect to {endpoint.Host}: {refusal ?? "it has no address"}");
    }
}

/// <summary>The receiver's address is not on the public internet (or not allowed by configuration).</summary>
public sealed class WebhookAddressRefusedException(string message) : IOException(message);
