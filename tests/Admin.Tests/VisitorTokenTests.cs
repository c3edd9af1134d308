using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using CustomerService.Admin.Accounts;
using CustomerService.Contracts;

namespace CustomerService.Admin.Tests;

[Collection(AdminCollection.Name)]
public sealed class VisitorTokenTests(AdminFixture fixture)
{
    private const string SiteKey = "demo-site-key";
    private const string DemoIdentitySecret = "demo-identity-secret";

    private Task<HttpResponseMessage> RequestAsync(object body) => fixture.Client.PostAsJsonAsync("/api/auth/visitor", body);

    private static string Sign(string secret, string identifier) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(identifier)));

    [Fact]
    public async Task An_anonymous_visitor_gets_a_secret_and_an_id_and_is_the_same_visitor_when_it_sends_the_secret_again()
    {
        var first = (await (await RequestAsync(new { siteKey = SiteKey })).Content.ReadFromJsonAsync<VisitorTokenResponse>())!;
        var again = (await (await RequestAsync(new { siteKey = SiteKey, visitorSecret = first.VisitorSecret })).Content.ReadFromJsonAsync<VisitorTokenResponse>())!;

        Assert.Matches("^v-[0-9a-f]{32}$", first.VisitorId);
        Assert.Matches("^vs-[0-9a-f]{64}$", first.VisitorSecret);
        Assert.DoesNotContain(first.VisitorId[2..], first.VisitorSecret);
        Assert.False(first.Identified);
        Assert.Equal(first.VisitorId, again.VisitorId);
        Assert.Equal(first.VisitorSecret, again.VisitorSecret);
        var token = await Tokens.ValidateAsync(again.AccessToken, fixture.SigningKey, fixture.Time);
        Assert.Equal(first.VisitorId, token.Subject);
        Assert.Equal("demo", token.GetClaim(PlatformClaims.Tenant).Value);
        Assert.Equal(Roles.Visitor, token.GetClaim(PlatformClaims.Role).Value);
        Assert.StartsWith("Visitor ", token.GetClaim(PlatformClaims.Name).Value);
        Assert.Equal(AdminFixture.VisitorLifetime, token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task Knowing_a_visitors_id_does_not_make_anyone_that_visitor()
    {
        // The id is what agents, history, webhooks and the CRM see: presented alone, or as if it were the secret, it
        // is a new visitor.
        var victim = (await (await RequestAsync(new { siteKey = SiteKey })).Content.ReadFromJsonAsync<VisitorTokenResponse>())!;

        foreach (var claim in new object[] { new { siteKey = SiteKey, visitorId = victim.VisitorId }, new { siteKey = SiteKey, visitorSecret = victim.VisitorId },
                     new { siteKey = SiteKey, visitorSecret = "vs-" + victim.VisitorId[2..] + victim.VisitorId[2..] } })
        {
            var other = (await (await RequestAsync(claim)).Content.ReadFromJsonAsync<VisitorTokenResponse>())!;
            Assert.NotEqual(victim.VisitorId, other.VisitorId);
            Assert.NotEqual(victim.VisitorSecret, other.VisitorSecret);
            Assert.Matches("^v-[0-9a-f]{32}$", other.VisitorId);
        }
    }

    [Theory]
    [InlineData("not-a-secret")]
    [InlineData("vs-0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("vs-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")]
    [InlineData("u-0123456789abcdef0123456789abcdef")] // an identified visitor's id: claiming it must not work
    public async Task A_malformed_secret_is_a_new_visitor(string visitorSecret)
    {
        var body = (await (await RequestAsync(new { siteKey = SiteKey, visitorSecret })).Content.ReadFromJsonAsync<VisitorTokenResponse>())!;

        Assert.NotEqual(visitorSecret, body.VisitorSecret);
        Assert.Matches("^vs-[0-9a-f]{64}$", body.VisitorSecret);
        Assert.Matches("^v-[0-9a-f]{32}$", body.VisitorId);
    }

    [Fact]
    public async Task A_visitor_the_tenant_signed_is_identified_with_the_same_id_every_time()
    {
        const string identifier = "customer-4711@example.com";
        var first = await RequestAsync(new { siteKey = SiteKey, identifier, identifierHash = Sign(DemoIdentitySecret, identifier) });
        var second = await RequestAsync(new
        {
            siteKey = SiteKey, identifier, identifierHash = Sign(DemoIdentitySecret, identifier).ToUpperInvariant(),
            visitorSecret = "vs-" + new string('a', 64),
        });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var a = (await first.Content.ReadFromJsonAsync<VisitorTokenResponse>())!;
        var b = (await second.Content.ReadFromJsonAsync<VisitorTokenResponse>())!;
        Assert.True(a.Identified);
        Assert.Null(a.VisitorSecret);   // the tenant's signature is what makes an identified visitor, not a secret of ours
        Assert.Matches("^u-[0-9a-f]{32}$", a.VisitorId);
        Assert.Equal(a.VisitorId, b.VisitorId);
        var token = await Tokens.ValidateAsync(a.AccessToken, fixture.SigningKey, fixture.Time);
        Assert.Equal(a.VisitorId, token.Subject);
        Assert.Equal(identifier, token.GetClaim(PlatformClaims.Name).Value);
        Assert.Equal(Roles.Visitor, token.GetClaim(PlatformClaims.Role).Value);
    }

    [Theory]
    [InlineData("wrong-secret")]
    [InlineData(null)]
    public async Task A_bad_or_missing_identity_signature_is_401(string? secret)
    {
        const string identifier = "customer-4711";
        var response = await RequestAsync(new
        {
            siteKey = SiteKey, identifier, identifierHash = secret is null ? null : Sign(secret, identifier),
        });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Identity not verified", (await Tokens.ProblemAsync(response)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_signature_for_another_identifier_is_401()
    {
        var response = await RequestAsync(new { siteKey = SiteKey, identifier = "mallory", identifierHash = Sign(DemoIdentitySecret, "alice") });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_site_key_is_404_problem()
    {
        var response = await RequestAsync(new { siteKey = "no-such-site" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Unknown site key", (await Tokens.ProblemAsync(response)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Tenants_get_their_own_site_key_and_identity_secret()
    {
        var (_, siteKey, secret) = await fixture.CreateTenantAsync("fresh-", "Fresh");

        Assert.Matches("^sk_[0-9a-f]{32}$", siteKey);
        Assert.Matches("^[0-9a-f]{64}$", secret);
        var response = await RequestAsync(new { siteKey, identifier = "x", identifierHash = Sign(secret, "x") });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("fresh-", (await response.Content.ReadFromJsonAsync<VisitorTokenResponse>())!.Tenant);
    }
}
