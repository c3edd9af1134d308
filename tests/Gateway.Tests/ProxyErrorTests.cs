using System.Net;
using CustomerService.TestInfrastructure;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ProxyErrorTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_service_that_is_down_gives_a_502_problem_naming_it()
    {
        await using var gateway = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:historywriter:Destinations:d1:Address"] = $"http://127.0.0.1:{LocalServer.FreePort()}/",
        });
        using var client = gateway.ClientFrom();

        var response = await client.GetAsync("/api/history/conversations", fixture.Tokens.Mint());

        var problem = await response.ProblemAsync(HttpStatusCode.BadGateway);
        Assert.Contains("historywriter", problem.GetProperty("detail").GetString());
    }
}
