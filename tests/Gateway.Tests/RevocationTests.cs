using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using CustomerService.Contracts;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Issue 15: a role change, deactivation, deletion, password reset or logout invalidates every token the account
/// holds within 5 s, at the gateway (401 "revoked") and on its open sockets (Session closes them with 4401), with the
/// real Admin, Session, PostgreSQL and Redis behind a real gateway. Each test makes accounts of its own in the demo
/// tenant, as the demo admin does through the gateway.
/// </summary>
[Collection(LiveGatewayCollection.Name)]
public sealed class RevocationTests(LiveGatewayFixture fixture) : IAsyncLifetime
{
    /// <summary>The promise: a revocation takes effect everywhere within this.</summary>
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(5);

    private GatewayHost _gateway = null!;
    private HttpClient _http = null!;
    private string _demoAdmin = null!;

    public async Task InitializeAsync()
    {
        _gateway = fixture.StartGatewayToServices();
        _http = _gateway.ClientFrom();
        _demoAdmin = (await LoginAsync("admin", "admin123")).Token;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task A_demoted_admin_loses_admin_power_within_5_s_and_signs_in_again_as_an_agent()
    {
        var demoted = await CreateAccountAsync(Roles.Admin);
        var token = (await LoginAsync(demoted.Login, demoted.Password)).Token;
        // What issue 15 found: this token could create admins for 8 hours after the demotion.
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(token, Roles.Agent)).StatusCode);

        await UpdateAsync(demoted, role: Roles.Agent);

        await WithinAsync(async () => (await CreateAsync(token, Roles.Admin)).StatusCode == HttpStatusCode.Unauthorized,
            "the demoted admin's old token gets 401 on POST /api/admin/agents");
        await AssertRevokedAsync(await CreateAsync(token, Roles.Admin));
        var again = await LoginAsync(demoted.Login, demoted.Password);
        Assert.Equal(Roles.Agent, again.Role);
        await (await CreateAsync(again.Token, Roles.Admin)).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_deleted_accounts_token_gets_401_on_history_search_within_5_s_and_another_accounts_token_keeps_working()
    {
        var deleted = await CreateAccountAsync(Roles.Agent);
        var bystander = await CreateAccountAsync(Roles.Agent);
        var token = (await LoginAsync(deleted.Login, deleted.Password)).Token;
        var other = (await LoginAsync(bystander.Login, bystander.Password)).Token;
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/history/search?q=refund", token)).StatusCode);

        using (var delete = await _http.SendAsync(HttpMethod.Delete, $"/api/admin/agents/{deleted.Id}", _demoAdmin))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        await WithinAsync(async () => (await _http.GetAsync("/api/history/search?q=refund", token)).StatusCode == HttpStatusCode.Unauthorized,
            "the deleted account's token gets 401 on /api/history/search");
        await AssertRevokedAsync(await _http.GetAsync("/api/history/search?q=refund", token));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/history/search?q=refund", other)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/history/search?q=refund", _demoAdmin)).StatusCode);
    }

    [Fact]
    public async Task Logout_revokes_every_token_of_the_account_and_a_new_login_works()
    {
        var account = await CreateAccountAsync(Roles.Agent);
        var laptop = (await LoginAsync(account.Login, account.Password)).Token;
        var phone = (await LoginAsync(account.Login, account.Password)).Token;

        using (var logout = await _http.SendAsync(HttpMethod.Post, "/api/auth/logout", laptop))
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        // Admin's own replica of the gateway answers at once; 5 s is the promise for every replica.
        await WithinAsync(async () => (await _http.GetAsync("/api/history/x", phone)).StatusCode == HttpStatusCode.Unauthorized,
            "the account's other token (another device) gets 401");
        await AssertRevokedAsync(await _http.GetAsync("/api/history/x", laptop));
        var fresh = (await LoginAsync(account.Login, account.Password)).Token;
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/history/x", fresh)).StatusCode);
        // Without a token there is nothing to sign out.
        await (await _http.SendAsync(HttpMethod.Post, "/api/auth/logout", token: null)).ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_password_reset_revokes_the_old_token_and_a_new_display_name_does_not()
    {
        var account = await CreateAccountAsync(Roles.Agent);
        var token = (await LoginAsync(account.Login, account.Password)).Token;

        await UpdateAsync(account, displayName: "Renamed");
        var renamed = await LoginAsync(account.Login, account.Password);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/history/x", token)).StatusCode);

        await UpdateAsync(account, password: "a-new-password-1");
        await WithinAsync(async () => (await _http.GetAsync("/api/history/x", token)).StatusCode == HttpStatusCode.Unauthorized,
            "the token from before the password reset gets 401");
        await AssertRevokedAsync(await _http.GetAsync("/api/history/x", renamed.Token));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/history/x", (await LoginAsync(account.Login, "a-new-password-1")).Token)).StatusCode);
    }

    [Fact]
    public async Task Deactivation_closes_the_accounts_open_socket_with_4401_and_leaves_another_accounts_socket_open()
    {
        var deactivated = await CreateAccountAsync(Roles.Agent);
        var bystander = await CreateAccountAsync(Roles.Agent);
        var token = (await LoginAsync(deactivated.Login, deactivated.Password)).Token;
        using var socket = await OpenAgentSocketAsync(token);
        using var other = await OpenAgentSocketAsync((await LoginAsync(bystander.Login, bystander.Password)).Token);

        await UpdateAsync(deactivated, active: false);

        var (status, reason) = await ClosedAsync(socket, Within);
        Assert.Equal((WebSocketCloseStatus)4401, status);
        Assert.Equal("token revoked", reason);
        // The other account's socket still answers.
        await SendAsync(other, new { type = "ping" });
        await NextAsync(other, "pong");
        // And the deactivated account can neither reconnect nor sign in.
        await Assert.ThrowsAnyAsync<WebSocketException>(() => OpenAgentSocketAsync(token));
        using var login = await _http.PostAsJsonAsync("/api/auth/login", new { tenant = "demo", login = deactivated.Login, password = deactivated.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task A_revocation_that_Redis_lost_is_announced_again_from_PostgreSQL()
    {
        var account = await CreateAccountAsync(Roles.Agent);
        var token = (await LoginAsync(account.Login, account.Password)).Token;
        using (var logout = await _http.SendAsync(HttpMethod.Post, "/api/auth/logout", token))
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await WithinAsync(async () => (await _http.GetAsync("/api/history/x", token)).StatusCode == HttpStatusCode.Unauthorized,
            "the logged-out token gets 401");

        // Redis forgets (restarted without persistence, say); a gateway starting now learns it from Admin's resend.
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString))
            Assert.True(await redis.GetDatabase().HashDeleteAsync(TokenRevocationStore.Key, TokenRevocation.AccountKey("demo", account.Id)));
        await using var late = fixture.StartGatewayToServices();
        using var viaLate = late.ClientFrom();
        await WithinAsync(async () => (await viaLate.GetAsync("/api/history/x", token)).StatusCode == HttpStatusCode.Unauthorized,
            "a gateway started after Redis lost the revocation refuses the token", TimeSpan.FromSeconds(10));
    }

    private sealed record TestAccount(string Id, string Login, string Password, string Role);

    private sealed record SignedIn(string Token, string Role);

    /// <summary>Polls with the waiter of TestInfrastructure (it fails with Admin's output when the time is up).</summary>
    private Task WithinAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        fixture.Admin.EventuallyAsync(_ => condition(), what, timeout ?? Within);

    private static async Task AssertRevokedAsync(HttpResponseMessage response)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("revoked", problem.GetProperty("detail").GetString());
        Assert.Contains("The token was revoked", response.Headers.WwwAuthenticate.ToString());
    }

    private async Task<SignedIn> LoginAsync(string login, string password)
    {
        using var response = await _http.PostAsJsonAsync("/api/auth/login", new { tenant = "demo", login, password });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"login {login}: {(int)response.StatusCode} {body}");
        return new SignedIn(body.GetProperty("accessToken").GetString()!, body.GetProperty("role").GetString()!);
    }

    private Task<HttpResponseMessage> CreateAsync(string token, string role) =>
        _http.SendAsync(HttpMethod.Post, "/api/admin/agents", token, new
        {
            login = "rv-" + Guid.NewGuid().ToString("N")[..12], display_name = "Made by a test", password = "a-password-1", role,
            skill_groups = role == Roles.Agent ? new[] { "general" } : [],
        });

    private async Task<TestAccount> CreateAccountAsync(string role)
    {
        var login = "rv-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await _http.SendAsync(HttpMethod.Post, "/api/admin/agents", _demoAdmin, new
        {
            login, display_name = "Revocation " + login, password = "a-password-1", role,
            skill_groups = new[] { "general" },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create {login}: {(int)response.StatusCode} {body}");
        return new TestAccount(body.GetProperty("id").GetString()!, login, "a-password-1", role);
    }

    /// <summary>PUT replaces every field: the account as created, with the given changes.</summary>
    private async Task UpdateAsync(TestAccount account, string? role = null, bool active = true, string? password = null, string? displayName = null)
    {
        using var response = await _http.SendAsync(HttpMethod.Put, $"/api/admin/agents/{account.Id}", _demoAdmin, new
        {
            login = account.Login, display_name = displayName ?? "Revocation " + account.Login, role = role ?? account.Role,
            skill_groups = new[] { "general" }, active, password,
        });
        Assert.True(response.IsSuccessStatusCode, $"update {account.Login}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>An agent socket through the gateway (the token in the query, as browsers send it), after its hello.</summary>
    private async Task<ClientWebSocket> OpenAgentSocketAsync(string token)
    {
        var socket = new ClientWebSocket();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(_gateway.SocketUri($"/ws/agent?access_token={token}"), timeout.Token);
            await SendAsync(socket, new { type = "hello" });
            await NextAsync(socket, "welcome");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Task SendAsync(ClientWebSocket socket, object frame) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits for the next frame of <paramref name="type"/> (others passed over); fails after 10 s or on a close.</summary>
    private static async Task NextAsync(ClientWebSocket socket, string type)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var length = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), timeout.Token);
                length += result.Count;
            } while (!result.EndOfMessage);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            if (JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.GetProperty("type").GetString() == type) return;
        }
    }

    /// <summary>Reads until the server closes the socket (the signal), or fails after <paramref name="patience"/>.</summary>
    private static async Task<(WebSocketCloseStatus? Status, string? Reason)> ClosedAsync(ClientWebSocket socket, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        var buffer = new byte[64 * 1024];
        try
        {
            while ((await socket.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close) { }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the socket was not closed within {patience.TotalSeconds:F0} s");
        }
        return (socket.CloseStatus, socket.CloseStatusDescription);
    }
}
