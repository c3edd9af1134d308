using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using CustomerService.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Rotating the internal key with no refused request (docs/auth.md#rotating-the-internal-key): a service holding the new
/// key and the old one in <c>Auth:AcceptedInternalKeys</c> takes identities signed under either, and nothing else. The
/// service is a host with the platform's own trust check in front (AddInternalTrust), answered over HTTP.
/// </summary>
public sealed class InternalKeyRotationTests
{
    private static readonly IdentityHeaderValues Agent = new("demo", "agent-1", Roles.Agent, "Alice", "general", null);
    private readonly byte[] _old = RandomNumberGenerator.GetBytes(32), _new = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task A_service_accepts_the_old_and_the_new_key_during_a_rotation_and_nothing_else()
    {
        await using var service = await ServiceAsync(_new, accepted: [_old]);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(service, IdentitySignature.Sign(_new, Agent, DateTimeOffset.UtcNow))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(service, IdentitySignature.Sign(_old, Agent, DateTimeOffset.UtcNow))).StatusCode);
        Assert.Equal("mismatch", await ReasonAsync(await SendAsync(service,
            IdentitySignature.Sign(RandomNumberGenerator.GetBytes(32), Agent, DateTimeOffset.UtcNow))));
        // The accepted key does not widen the window: an old signature under it is a replay as under the key itself.
        Assert.Equal("expired", await ReasonAsync(await SendAsync(service,
            IdentitySignature.Sign(_old, Agent, DateTimeOffset.UtcNow - IdentitySignature.Window - TimeSpan.FromSeconds(5)))));
        Assert.Equal("missing", await ReasonAsync(await SendAsync(service, signature: null)));
    }

    [Fact]
    public async Task Once_the_rotation_ends_the_old_key_is_refused()
    {
        await using var service = await ServiceAsync(_new, accepted: []);

        Assert.Equal("mismatch", await ReasonAsync(await SendAsync(service, IdentitySignature.Sign(_old, Agent, DateTimeOffset.UtcNow))));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(service, IdentitySignature.Sign(_new, Agent, DateTimeOffset.UtcNow))).StatusCode);
    }

    [Theory]
    [InlineData("not base64!", "Auth:AcceptedInternalKeys: a key is not valid base64")]
    [InlineData("c2hvcnQta2V5", "Auth:AcceptedInternalKeys: a key has 9 bytes")]
    public async Task A_bad_accepted_key_stops_the_service_on_start_with_the_reason(string accepted, string reason)
    {
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => ServiceAsync(_new, [], acceptedText: accepted));

        Assert.Contains(reason, failed.Message);
    }

    private static async Task<WebApplication> ServiceAsync(byte[] key, byte[][] accepted, string? acceptedText = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration[IdentitySignature.KeyConfig] = Convert.ToBase64String(key);
        builder.Configuration[InternalKey.AcceptedConfig] = acceptedText ?? string.Join(",", accepted.Select(Convert.ToBase64String));
        builder.AddInternalTrust();
        var app = builder.Build();
        app.MapGet("/who", (Microsoft.AspNetCore.Http.HttpRequest request) => request.Headers[IdentityHeaders.User].ToString());
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    private static async Task<HttpResponseMessage> SendAsync(WebApplication service, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/who");
        request.Headers.Add(IdentityHeaders.Tenant, Agent.Tenant);
        request.Headers.Add(IdentityHeaders.User, Agent.User);
        request.Headers.Add(IdentityHeaders.Role, Agent.Role);
        request.Headers.Add(IdentityHeaders.Name, Agent.Name);
        request.Headers.Add(IdentityHeaders.SkillGroups, Agent.SkillGroups);
        if (signature is not null) request.Headers.Add(IdentitySignature.Header, signature);
        return await service.GetTestClient().SendAsync(request);
    }

    private static async Task<string?> ReasonAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("reason").GetString();
    }
}
