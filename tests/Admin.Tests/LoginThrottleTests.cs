using System.Net;
using System.Net.Http.Json;
using CustomerService.Admin.Accounts;

namespace CustomerService.Admin.Tests;

/// <summary>
/// Password guessing is throttled per login: from one address after 5 failures (locks doubling from 1 s), from
/// anywhere after 20 (short locks), refused with 429 before the password is hashed; the real person elsewhere
/// still gets in, and an unknown login is throttled exactly like a real one.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class LoginThrottleTests(AdminFixture fixture)
{
    private async Task<HttpResponseMessage> LoginAsync(string login, string password, string from, string? tenant = "demo")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { tenant, login, password }) };
        request.Headers.Add("X-Forwarded-For", from);   // as the gateway appends it
        return await fixture.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_guesser_is_locked_out_before_hashing_while_the_real_person_elsewhere_logs_in()
    {
        const string guesser = "10.1.1.1", owner = "10.1.1.2";
        for (int i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync("bob", $"guess-{i}", guesser)).StatusCode);

        var locked = await LoginAsync("bob", "bob123", guesser);   // even the right password: locked first
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal("1", Assert.Single(locked.Headers.GetValues("Retry-After")));
        var problem = await Tokens.ProblemAsync(locked);
        Assert.Contains("try again", problem.GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync("bob", "bob123", owner)).StatusCode);

        fixture.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync("bob", "bob123", guesser)).StatusCode);
        // The success cleared that address's count: one more failure is free again.
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync("bob", "wrong", guesser)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync("bob", "bob123", guesser)).StatusCode);
    }

    [Fact]
    public async Task Guesses_spread_over_many_addresses_lock_the_login_briefly_and_unknown_logins_alike()
    {
        var ghost = $"ghost-{Guid.NewGuid():N}"[..20];
        for (int i = 0; i < 21; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(ghost, "x", $"10.2.0.{i + 1}")).StatusCode);
        var locked = await LoginAsync(ghost, "x", "10.2.1.1");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        fixture.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(ghost, "x", "10.2.1.1")).StatusCode);
    }

    [Theory]
    [InlineData(5, 0)]
    [InlineData(6, 1)]
    [InlineData(7, 2)]
    [InlineData(10, 16)]
    [InlineData(40, 900)]     // capped at the maximum (15 min)
    public void Locks_double_past_the_free_failures_up_to_the_maximum(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), LoginThrottle.LockFor(failures, 5, TimeSpan.FromMinutes(15)));
}
