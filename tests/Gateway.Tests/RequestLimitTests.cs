using System.Net;

namespace CustomerService.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RequestLimitTests(GatewayFixture fixture) : IDisposable
{
    private readonly HttpClient _client = fixture.Gateway.ClientFrom();

    public void Dispose() => _client.Dispose();

    private async Task<HttpResponseMessage> PostBytesAsync(int size)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/history/import") { Content = new ByteArrayContent(new byte[size]) };
        request.Headers.Authorization = new("Bearer", fixture.Tokens.Mint());
        return await _client.SendAsync(request);
    }

    [Fact]
    public async Task A_body_within_the_limit_reaches_the_service_whole()
    {
        var seen = await (await PostBytesAsync(GatewayFixture.MaxBodyBytes)).SeenAsync();

        Assert.Equal(GatewayFixture.MaxBodyBytes, seen.BodyBytes);
    }

    [Fact]
    public async Task A_larger_body_is_413()
    {
        var response = await PostBytesAsync(GatewayFixture.MaxBodyBytes + 1);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Oversized_headers_are_431()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/history/x");
        request.Headers.Authorization = new("Bearer", fixture.Tokens.Mint());
        request.Headers.Add("X-Padding", new string('a', 40 * 1024));

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }
}
