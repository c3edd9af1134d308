using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace CustomerService.Adapters.Tests.Crm;

/// <summary>The built CRM adapter started on its own, outside any AppHost, given only NATS, Redis and the CRM's URL.</summary>
public class CrmStandaloneTests
{
    [Fact]
    public async Task The_adapter_starts_alone_and_serves_GetProfile()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var crm = await PhpCrmSimulator.StartAsync();
        int grpcPort = LocalServer.FreePort();
        await using var adapter = ServiceProcess.Start("adapters/Crm", new Dictionary<string, string>
        {
            ["GRPC_PORT"] = grpcPort.ToString(),
            ["ConnectionStrings__nats"] = nats.Url,
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Crm__BaseUrl"] = crm.BaseUrl,
        });
        await adapter.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new CustomerProfiles.CustomerProfilesClient(channel);
        // The first calls compile the process's code paths; on a busy machine they may fall back at first.
        CustomerProfile profile = null!;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            profile = await client.GetProfileAsync(new GetProfileRequest { TenantId = "t1", CustomerId = "c-4242" },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));
            if (profile.Availability == Availability.Live) break;
        }
        Assert.True(profile.Availability == Availability.Live, $"{profile.UnavailableReason}\n{adapter.Output}");
        Assert.False(string.IsNullOrEmpty(profile.Name));
        Assert.Contains(profile.Tier, new[] { "vip", "gold", "standard" });
    }
}
