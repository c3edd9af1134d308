using System.Net;
using System.Security.Cryptography;
using CustomerService.Contracts;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Rotating the signing key without signing anybody out: while the gateway accepts the old key beside the new one,
/// tokens signed with either are served (with their kid or without one); a key it was not given is refused, whatever
/// kid the token claims; an accepted key that is not one stops the gateway with the reason.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KeyRotationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task During_a_rotation_tokens_of_the_old_and_the_new_key_pass_and_no_other_key_does()
    {
        byte[] oldKey = fixture.Tokens.SigningKey, newKey = RandomNumberGenerator.GetBytes(32), strangerKey = RandomNumberGenerator.GetBytes(32);
        await using var gateway = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = Convert.ToBase64String(newKey),
            ["Auth:AcceptedSigningKeys"] = " " + Convert.ToBase64String(oldKey) + " ,",
        });
        using var client = gateway.ClientFrom();
        var tokens = fixture.Tokens;

        foreach (var (token, what) in new[]
        {
            (tokens.Mint(key: oldKey), "old key, no kid (signed before kids)"),
            (tokens.Mint(key: oldKey, keyId: PlatformClaims.KeyId(oldKey)), "old key with its kid"),
            (tokens.Mint(key: newKey, keyId: PlatformClaims.KeyId(newKey)), "new key with its kid"),
            (tokens.Mint(key: newKey), "new key, no kid"),
        })
        {
            var response = await client.GetAsync("/api/history/conversations", token);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        foreach (var token in new[] { tokens.Mint(key: strangerKey), tokens.Mint(key: strangerKey, keyId: PlatformClaims.KeyId(newKey)) })
            await (await client.GetAsync("/api/history/conversations", token)).ProblemAsync(HttpStatusCode.Unauthorized);

        // After the rotation, the old key dropped: its tokens are refused.
        await using var after = fixture.StartGateway(new Dictionary<string, string?> { ["Auth:SigningKey"] = Convert.ToBase64String(newKey) });
        using var afterClient = after.ClientFrom();
        await (await afterClient.GetAsync("/api/history/conversations", tokens.Mint(key: oldKey, keyId: PlatformClaims.KeyId(oldKey))))
            .ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await afterClient.GetAsync("/api/history/conversations", tokens.Mint(key: newKey))).StatusCode);
    }

    [Theory]
    [InlineData("c2hvcnQ=", "a key has 5 bytes")]
    [InlineData("not base64!", "must be base64 keys separated by commas")]
    public void An_accepted_key_that_is_not_one_stops_the_gateway_and_says_why(string accepted, string reason)
    {
        var error = Assert.ThrowsAny<Exception>(() => fixture.StartGateway(new Dictionary<string, string?> { ["Auth:AcceptedSigningKeys"] = accepted }));
        Assert.Contains(reason, (error.InnerException ?? error).Message);
    }

    [Fact]
    public void A_key_id_names_the_key_without_revealing_it()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(PlatformClaims.KeyId(key), PlatformClaims.KeyId(key.ToArray()));
        Assert.NotEqual(PlatformClaims.KeyId(key), PlatformClaims.KeyId(RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(12, PlatformClaims.KeyId(key).Length);
        Assert.DoesNotContain(PlatformClaims.KeyId(key), Convert.ToBase64String(key));
    }
}
