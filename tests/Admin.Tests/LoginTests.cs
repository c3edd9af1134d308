using System.Net;
using System.Net.Http.Json;
using CustomerService.Admin.Accounts;
using CustomerService.Contracts;

namespace CustomerService.Admin.Tests;

[Collection(AdminCollection.Name)]
public sealed class LoginTests(AdminFixture fixture)
{
    private HttpClient Client => fixture.Client;

    private Task<HttpResponseMessage> LoginAsync(string? tenant, string login, string password) =>
        Client.PostAsJsonAsync("/api/auth/login", new { tenant, login, password });

    [Fact]
    public async Task An_agent_gets_a_signed_token_with_the_platform_claims_for_eight_hours()
    {
        var response = await LoginAsync(null, "bob", "bob123");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<LoginResponse>())!;
        var token = await Tokens.ValidateAsync(body.AccessToken, fixture.SigningKey, fixture.Time);

        Assert.Equal(body.AccountId, token.Subject);
        Assert.Equal(PlatformClaims.KeyId(fixture.SigningKey), token.Kid); // the gateway picks the key by it during a rotation
        Assert.True(Guid.TryParse(token.Subject, out _));
        Assert.Equal("demo", token.GetClaim(PlatformClaims.Tenant).Value);
        Assert.Equal(Roles.Agent, token.GetClaim(PlatformClaims.Role).Value);
        Assert.Equal("Bob", token.GetClaim(PlatformClaims.Name).Value);
        Assert.Equal(["general", "vip"], token.Claims.Where(c => c.Type == PlatformClaims.SkillGroups).Select(c => c.Value).Order());
        Assert.Equal(TimeSpan.FromHours(8), token.ValidTo - token.IssuedAt);
        Assert.Equal(Truncate(fixture.Time.GetUtcNow()), token.IssuedAt);
        Assert.Equal(token.ValidTo, body.ExpiresAt.UtcDateTime);
        Assert.Equal(["general", "vip"], body.SkillGroups);
    }

    [Fact]
    public async Task Admin_and_supervisor_get_their_roles_and_the_login_ignores_case()
    {
        var admin = (await (await LoginAsync("demo", "ADMIN", "admin123")).Content.ReadFromJsonAsync<LoginResponse>())!;
        var supervisor = (await (await LoginAsync("demo", "carol", "carol123")).Content.ReadFromJsonAsync<LoginResponse>())!;

        Assert.Equal(Roles.Admin, (await Tokens.ValidateAsync(admin.AccessToken, fixture.SigningKey, fixture.Time)).GetClaim("role").Value);
        Assert.Equal(Roles.Supervisor, (await Tokens.ValidateAsync(supervisor.AccessToken, fixture.SigningKey, fixture.Time)).GetClaim("role").Value);
    }

    [Theory]
    [InlineData(null, "alice", "wrong-password")]
    [InlineData(null, "nobody", "alice123")]
    [InlineData("other-tenant", "alice", "alice123")]
    [InlineData("demo", "alice", "")]
    public async Task Wrong_password_unknown_login_or_tenant_is_401_problem(string? tenant, string login, string password)
    {
        var response = await LoginAsync(tenant, login, password);

        if (password.Length == 0)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            await Tokens.ProblemAsync(response);
            return;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await Tokens.ProblemAsync(response);
        Assert.Equal("Login failed", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("accessToken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_login_in_two_tenants_needs_the_tenant_and_inactive_accounts_cannot_log_in()
    {
        await using var db = fixture.AdminDatabase();
        await using (var setup = db.CreateCommand("""
            INSERT INTO tenants (id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING;
            INSERT INTO accounts (tenant_id, login, display_name, password_hash, role)
            SELECT 'acme', 'shared', 'Shared Acme', password_hash, 'agent' FROM accounts WHERE tenant_id = 'demo' AND login = 'alice'
            ON CONFLICT DO NOTHING;
            INSERT INTO accounts (tenant_id, login, display_name, password_hash, role)
            SELECT 'demo', 'shared', 'Shared Demo', password_hash, 'agent' FROM accounts WHERE tenant_id = 'demo' AND login = 'alice'
            ON CONFLICT DO NOTHING;
            INSERT INTO accounts (tenant_id, login, display_name, password_hash, role, active)
            SELECT 'demo', 'gone', 'Gone', password_hash, 'agent', false FROM accounts WHERE tenant_id = 'demo' AND login = 'alice'
            ON CONFLICT DO NOTHING;
            """))
            await setup.ExecuteNonQueryAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(null, "shared", "alice123")).StatusCode);
        var acme = await LoginAsync("acme", "shared", "alice123");
        Assert.Equal(HttpStatusCode.OK, acme.StatusCode);
        Assert.Equal("acme", (await acme.Content.ReadFromJsonAsync<LoginResponse>())!.Tenant);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync("demo", "gone", "alice123")).StatusCode);
    }

    private static DateTime Truncate(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
