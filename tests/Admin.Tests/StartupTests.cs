using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace CustomerService.Admin.Tests;

[Collection(AdminCollection.Name)]
public sealed class StartupTests(AdminFixture fixture)
{
    [Fact]
    public void Without_a_signing_key_the_service_refuses_to_start_and_says_why()
    {
        var error = Assert.ThrowsAny<Exception>(() => fixture.StartAdmin(withSigningKey: false));

        var validation = Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerException : error);
        Assert.Contains("Auth:SigningKey is missing", validation.Message);
    }

    [Fact]
    public async Task Seeding_again_adds_nothing_and_keeps_changed_passwords()
    {
        await using var db = fixture.AdminDatabase();
        await using (var change = db.CreateCommand(
            "UPDATE accounts SET password_hash = (SELECT password_hash FROM accounts WHERE tenant_id = 'demo' AND login = 'bob') WHERE tenant_id = 'demo' AND login = 'alice'"))
            await change.ExecuteNonQueryAsync();
        try
        {
            await using var second = fixture.StartAdmin();
            using var client = second.CreateClient();

            await using var count = db.CreateCommand("SELECT count(*) FROM accounts WHERE tenant_id = 'demo' AND login IN ('admin', 'carol', 'alice', 'bob')");
            Assert.Equal(4L, await count.ExecuteScalarAsync());
            Assert.Equal(HttpStatusCode.Unauthorized,
                (await client.PostAsJsonAsync("/api/auth/login", new { login = "alice", password = "alice123" })).StatusCode);
            Assert.Equal(HttpStatusCode.OK,
                (await client.PostAsJsonAsync("/api/auth/login", new { login = "alice", password = "bob123" })).StatusCode);
        }
        finally
        {
            await using var restore = db.CreateCommand("DELETE FROM accounts WHERE tenant_id = 'demo' AND login = 'alice'");
            await restore.ExecuteNonQueryAsync();
            await using var reseed = fixture.StartAdmin();
        }
    }
}
