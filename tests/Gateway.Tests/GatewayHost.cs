using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.Gateway.Tests;

/// <summary>The gateway's own Program on Kestrel (127.0.0.1, a free port), configured as the AppHost would.</summary>
public sealed class GatewayHost : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly TimeProvider? _time;

    private GatewayHost(IReadOnlyDictionary<string, string?> settings, TimeProvider? time, int port)
    {
        _settings = settings;
        _time = time;
        UseKestrel(k => k.Listen(IPAddress.Loopback, port));
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>
    /// What every test gateway is given: the test keys, Redis, the four clusters and request buckets wide open (every
    /// test talks from 127.0.0.1: a shared gateway must not throttle the suite itself). Callers add their own.
    /// </summary>
    public static Dictionary<string, string?> UnthrottledSettings(byte[] signingKey, string redis, Uri session, Uri admin, Uri history, Uri web) => new()
    {
        ["Auth:SigningKey"] = Convert.ToBase64String(signingKey),
        ["Auth:InternalKey"] = CustomerService.TestInfrastructure.TestIdentity.KeyBase64,
        ["ConnectionStrings:redis"] = redis,
        ["ReverseProxy:Clusters:session:Destinations:d1:Address"] = session.ToString(),
        ["ReverseProxy:Clusters:admin:Destinations:d1:Address"] = admin.ToString(),
        ["ReverseProxy:Clusters:historywriter:Destinations:d1:Address"] = history.ToString(),
        ["ReverseProxy:Clusters:web:Destinations:d1:Address"] = web.ToString(),
        ["RateLimits:PerIp:Enabled"] = "false",
        ["RateLimits:PerSubject:TokenLimit"] = "100000",
        ["RateLimits:PerSubject:TokensPerPeriod"] = "100000",
        ["RateLimits:VisitorTokens:PerIp:TokenLimit"] = "100000",
        ["RateLimits:VisitorTokens:PerIp:TokensPerPeriod"] = "100000",
    };

    /// <summary>Starts a gateway on <paramref name="port"/> (0: a free one).</summary>
    public static GatewayHost Start(IReadOnlyDictionary<string, string?> settings, TimeProvider? time = null, int port = 0)
    {
        var host = new GatewayHost(settings, time, port);
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        host.Address = new Uri(address);
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        if (_time is not null) builder.ConfigureTestServices(services => services.AddSingleton(_time));
    }

    /// <summary>
    /// A client whose connections come from <paramref name="source"/> (any 127.x.y.z works on Linux), so tests can
    /// act as different client addresses for rate limits and the blocklist.
    /// </summary>
    public HttpClient ClientFrom(string source = "127.0.0.1") => new(Handler(source)) { BaseAddress = Address };

    public static SocketsHttpHandler Handler(string source) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public Uri SocketUri(string pathAndQuery) => new($"ws://{Address.Authority}{pathAndQuery}");
}
