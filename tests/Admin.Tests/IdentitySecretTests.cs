using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CustomerService.Admin.Accounts;
using CustomerService.Contracts;

namespace CustomerService.Admin.Tests;

/// <summary>
/// An identified visitor's signature that expires, and a tenant's identity secret rotated with an overlap in which
/// both secrets verify: a leaked signature or secret stops working, and no visitor is refused while the tenant's
/// backend switches.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class IdentitySecretTests(AdminFixture fixture) : IAsyncLifetime
{
    private string _tenant = "", _siteKey = "", _secret = "";

    public async Task InitializeAsync() => (_tenant, _siteKey, _secret) = await fixture.CreateTenantAsync("ids-", "Ids");

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Sign(string secret, string text) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text)));

    private long UnixIn(TimeSpan from) => (fixture.Time.GetUtcNow() + from).ToUnixTimeSeconds();

    private Task<HttpResponseMessage> VisitorAsync(string identifier, string hash, long? expires = null) =>
        fixture.Client.PostAsJsonAsync("/api/auth/visitor", new { siteKey = _siteKey, identifier, identifierHash = hash, identifierExpires = expires });

    private Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, string? json = null, string role = Roles.Admin)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IdentityHeaders.Tenant, _tenant);
        request.Headers.Add(IdentityHeaders.User, "admin-1");
        request.Headers.Add(IdentityHeaders.Role, role);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return fixture.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_signature_with_an_expiry_holds_until_then_and_not_after()
    {
        var expires = UnixIn(TimeSpan.FromMinutes(10));
        var hash = Sign(_secret, $"customer-9\n{expires}");

        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-9", hash, expires)).StatusCode);
        // The expiry is signed: another expiry, or none, with the same hash is no signature.
        Assert.Equal(HttpStatusCode.Unauthorized, (await VisitorAsync("customer-9", hash, expires + 3600)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await VisitorAsync("customer-9", hash)).StatusCode);

        fixture.Time.Advance(TimeSpan.FromMinutes(11));
        var expired = await VisitorAsync("customer-9", hash, expires);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("expired", (await Tokens.ProblemAsync(expired)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_expiry_too_far_ahead_or_an_identifier_with_control_characters_is_a_validation_problem()
    {
        var far = UnixIn(VisitorIdentity.LongestSignatureLifetime + TimeSpan.FromDays(1));
        var tooFar = await VisitorAsync("customer-9", Sign(_secret, $"customer-9\n{far}"), far);
        Assert.Equal(HttpStatusCode.BadRequest, tooFar.StatusCode);
        Assert.True((await Tokens.ProblemAsync(tooFar)).GetProperty("errors").TryGetProperty("identifierExpires", out _));

        var control = await VisitorAsync("customer-9\n123", Sign(_secret, "customer-9\n123"));
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
        Assert.True((await Tokens.ProblemAsync(control)).GetProperty("errors").TryGetProperty("identifier", out _));
    }

    [Fact]
    public async Task A_rotated_secret_verifies_beside_the_new_one_during_the_overlap_and_not_after()
    {
        var before = await AdminAsync(HttpMethod.Get, "/api/admin/identity-secret");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(_secret, (await before.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("identity_secret").GetString());

        var rotated = await AdminAsync(HttpMethod.Post, "/api/admin/identity-secret/rotate", """{"overlap_hours":1}""");
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var body = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("identity_secret").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.NotEqual(_secret, secret);
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromHours(1), body.GetProperty("previous_valid_until").GetDateTimeOffset(), TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-1", Sign(_secret, "customer-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-1", Sign(secret, "customer-1"))).StatusCode);

        fixture.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await VisitorAsync("customer-1", Sign(_secret, "customer-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-1", Sign(secret, "customer-1"))).StatusCode);

        // No overlap: a leaked secret stops verifying at once.
        var again = (await (await AdminAsync(HttpMethod.Post, "/api/admin/identity-secret/rotate", """{"overlap_hours":0}"""))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("identity_secret").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await VisitorAsync("customer-1", Sign(secret, "customer-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-1", Sign(again, "customer-1"))).StatusCode);
    }

    [Fact]
    public async Task Only_admins_read_or_rotate_it_and_a_bad_overlap_is_a_validation_problem()
    {
        foreach (var role in new[] { Roles.Supervisor, Roles.Agent })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await AdminAsync(HttpMethod.Get, "/api/admin/identity-secret", role: role)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await AdminAsync(HttpMethod.Post, "/api/admin/identity-secret/rotate", "{}", role)).StatusCode);
        }
        var bad = await AdminAsync(HttpMethod.Post, "/api/admin/identity-secret/rotate", """{"overlap_hours":500}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await Tokens.ProblemAsync(bad)).GetProperty("errors").TryGetProperty("overlap_hours", out _));
        // Nothing rotated by the refusals.
        var now = (await (await AdminAsync(HttpMethod.Get, "/api/admin/identity-secret")).Content.ReadFromJsonAsync<JsonElement>());
        Assert.Equal(_secret, now.GetProperty("identity_secret").GetString());
    }

    [Fact]
    public async Task A_tenant_that_requires_expiring_signatures_refuses_one_without_an_expiry()
    {
        var permanent = Sign(_secret, "customer-7");
        var expires = UnixIn(TimeSpan.FromMinutes(10));
        var expiring = Sign(_secret, $"customer-7\n{expires}");
        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-7", permanent)).StatusCode);   // off by default
        Assert.False((await (await AdminAsync(HttpMethod.Get, "/api/admin/identity-secret")).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("require_expiry").GetBoolean());

        var set = await AdminAsync(HttpMethod.Put, "/api/admin/identity-secret/policy", """{"require_expiry":true}""");
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.True((await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("require_expiry").GetBoolean());

        var refused = await VisitorAsync("customer-7", permanent);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("expire", (await Tokens.ProblemAsync(refused)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-7", expiring, expires)).StatusCode);
        // Anonymous visitors are not concerned.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.PostAsJsonAsync("/api/auth/visitor", new { siteKey = _siteKey })).StatusCode);

        // Only admins set it; a body without the field is a validation problem; neither changes it.
        Assert.Equal(HttpStatusCode.Forbidden,
            (await AdminAsync(HttpMethod.Put, "/api/admin/identity-secret/policy", """{"require_expiry":false}""", Roles.Supervisor)).StatusCode);
        var bad = await AdminAsync(HttpMethod.Put, "/api/admin/identity-secret/policy", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await Tokens.ProblemAsync(bad)).GetProperty("errors").TryGetProperty("require_expiry", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, (await VisitorAsync("customer-7", permanent)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(HttpMethod.Put, "/api/admin/identity-secret/policy", """{"require_expiry":false}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await VisitorAsync("customer-7", permanent)).StatusCode);
    }
}
