using System.Net;
using CustomerService.Contracts;
using CustomerService.LiveConfig;
using CustomerService.Routing.Desk;
using CustomerService.Routing.Grpc;
using CustomerService.TestInfrastructure;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using RoutingClient = CustomerService.Contracts.Routing.RoutingClient;

namespace CustomerService.Routing.Tests;

/// <summary>A Routing replica in this process: the real service on Kestrel (cleartext HTTP/2, free port) with its own Redis connection.</summary>
public sealed class RoutingHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private RoutingHost(WebApplication app, GrpcChannel channel, Uri http)
    {
        _app = app;
        _channel = channel;
        Client = new RoutingClient(channel);
        Http = TestIdentity.Client(http);
    }

    public RoutingClient Client { get; }

    /// <summary>The desk API (HTTP/1.1, on a port of its own as in the platform), without the gateway in front: identity headers signed as it signs them.</summary>
    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="liveConfigAddress">
    /// An Admin's gRPC address: the replica subscribes to routing_rules and agents there, as the service does.
    /// </param>
    public static async Task<RoutingHost> StartAsync(IConnectionMultiplexer redis, IDictionary<string, string?>? settings = null,
        string? liveConfigAddress = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Only the settings the test gives: not the service's appsettings.json, copied beside the tests.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Configuration[IdentitySignature.KeyConfig] = TestIdentity.KeyBase64;
        builder.Logging.ClearProviders();
        if (liveConfigAddress is not null)
        {
            builder.Configuration["LiveConfig:Address"] = liveConfigAddress;
            builder.AddLiveConfig(ConfigSections.RoutingRules, ConfigSections.Agents);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddSingleton(redis);
        builder.AddInternalTrust(); // the desk API checks identity signatures as in the service
        builder.Services.AddRouting(builder.Configuration);
        var app = builder.Build();
        app.MapGrpcService<RoutingService>();
        app.MapDeskApi();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        return new RoutingHost(app, GrpcChannel.ForAddress(addresses[0]), new Uri(addresses[1]));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
