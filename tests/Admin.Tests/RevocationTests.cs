using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CustomerService.Admin.Accounts;
using CustomerService.Contracts;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace CustomerService.Admin.Tests;

/// <summary>
/// Which account changes revoke its tokens, as Admin records them (token_version, token_revocations) and announces
/// them in Redis; the gateway and Session side is in Gateway.Tests/RevocationTests.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class RevocationTests(AdminFixture fixture) : IAsyncLifetime
{
    private readonly string _tenant = "r-" + Guid.NewGuid().ToString("N")[..10];

    public async Task InitializeAsync()
    {
        await using var db = fixture.AdminDatabase();
        foreach (var sql in new[] { "INSERT INTO tenants (id, name) VALUES ($1, $1)", "INSERT INTO skill_groups (tenant_id, name) VALUES ($1, 'general')" })
        {
            await using var insert = db.CreateCommand(sql);
            insert.Parameters.Add(new() { Value = _tenant });
            await insert.ExecuteNonQueryAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Tokens_carry_the_account_version_and_logout_raises_it_and_announces_the_new_minimum()
    {
        var (id, login) = await CreateAsync(Roles.Agent);
        var before = await VersionInTokenAsync(login);
        Assert.Equal(0, before);

        using (var logout = await SendAsync(HttpMethod.Post, "/api/auth/logout", user: id, role: Roles.Agent))
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        Assert.Equal(1, await VersionInTokenAsync(login));
        Assert.Equal((1, RevocationReasons.Logout), await RecordedAsync(id));
        Assert.Equal(1, await AnnouncedAsync(id));
    }

    [Fact]
    public async Task A_role_change_deactivation_password_reset_and_deletion_revoke_and_a_new_name_does_not()
    {
        var (id, login) = await CreateAsync(Roles.Agent);

        await PutAsync(id, login, "Another name", Roles.Agent, active: true);
        Assert.Null(await AnnouncedAsync(id));
        await PutAsync(id, login, "Another name", Roles.Supervisor, active: true);
        Assert.Equal((1, RevocationReasons.RoleChanged), await RecordedAsync(id));
        await PutAsync(id, login, "Another name", Roles.Supervisor, active: true, password: "a-new-password-2");
        Assert.Equal((2, RevocationReasons.PasswordReset), await RecordedAsync(id));
        await PutAsync(id, login, "Another name", Roles.Supervisor, active: false);
        Assert.Equal((3, RevocationReasons.Deactivated), await RecordedAsync(id));
        Assert.Equal(3, await AnnouncedAsync(id));
        // Reactivating gives no reason to revoke; the tokens from before stay revoked.
        await PutAsync(id, login, "Another name", Roles.Supervisor, active: true);
        Assert.Equal(3, await AnnouncedAsync(id));

        using (var delete = await SendAsync(HttpMethod.Delete, $"/api/admin/agents/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal((TokenRevocation.Deleted, RevocationReasons.Deleted), await RecordedAsync(id));
        Assert.Equal(TokenRevocation.Deleted, await AnnouncedAsync(id));
        // A deleted account's logout (its token still on its way out) changes nothing and fails nothing.
        using var late = await SendAsync(HttpMethod.Post, "/api/auth/logout", user: id, role: Roles.Agent);
        Assert.Equal(HttpStatusCode.NoContent, late.StatusCode);
        Assert.Equal(TokenRevocation.Deleted, await AnnouncedAsync(id));
    }

    [Fact]
    public async Task Logout_needs_an_account_identity_from_the_gateway()
    {
        using var anonymous = await fixture.Client.PostAsync("/api/auth/logout", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var visitor = await SendAsync(HttpMethod.Post, "/api/auth/logout", user: "v-0123456789abcdef0123456789abcdef", role: Roles.Visitor);
        Assert.Equal(HttpStatusCode.Forbidden, visitor.StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string user = "admin-1", string role = Roles.Admin)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(IdentityHeaders.Tenant, _tenant);
        request.Headers.Add(IdentityHeaders.User, user);
        request.Headers.Add(IdentityHeaders.Role, role);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return fixture.Client.SendAsync(request);
    }

    private async Task<(string Id, string Login)> CreateAsync(string role)
    {
        var login = "rv-" + Guid.NewGuid().ToString("N")[..10];
        using var response = await SendAsync(HttpMethod.Post, "/api/admin/agents", JsonSerializer.Serialize(new
        {
            login, display_name = "Revocable", password = "a-password-1", role, skill_groups = new[] { "general" },
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return (JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!, login);
    }

    private async Task PutAsync(string id, string login, string name, string role, bool active, string? password = null)
    {
        using var response = await SendAsync(HttpMethod.Put, $"/api/admin/agents/{id}", JsonSerializer.Serialize(new
        {
            login, display_name = name, role, active, password, skill_groups = new[] { "general" },
        }));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<int> VersionInTokenAsync(string login)
    {
        using var response = await fixture.Client.PostAsJsonAsync("/api/auth/login", new { tenant = _tenant, login, password = "a-password-1" });
        var body = (await response.Content.ReadFromJsonAsync<LoginResponse>())!;
        var token = await Tokens.ValidateAsync(body.AccessToken, fixture.SigningKey, fixture.Time);
        return int.Parse(token.GetClaim(PlatformClaims.TokenVersion).Value);
    }

    private async Task<(int MinVersion, string Reason)?> RecordedAsync(string id)
    {
        await using var db = fixture.AdminDatabase();
        await using var read = db.CreateCommand("SELECT min_version, reason FROM token_revocations WHERE tenant_id = $1 AND account_id = $2");
        read.Parameters.Add(new() { Value = _tenant });
        read.Parameters.Add(new() { Value = Guid.Parse(id) });
        await using var reader = await read.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetString(1)) : null;
    }

    /// <summary>The minimum version Redis holds for the account (announced before the API answered), or null.</summary>
    private async Task<int?> AnnouncedAsync(string id)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString);
        var value = (string?)await redis.GetDatabase().HashGetAsync(TokenRevocationStore.Key, TokenRevocation.AccountKey(_tenant, id));
        return value is null ? null : int.Parse(value.Split(' ')[0]);
    }
}
