using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.Gateway.Limits;
using CustomerService.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using static CustomerService.Gateway.Tests.AgentSockets;

namespace CustomerService.Gateway.Tests;

/// <summary>
/// Past its cap, one client address (or one tenant) gets 429 with Retry-After and a problem naming the cap for a new
/// socket; the sockets it holds keep going, and every way a socket ends frees its place.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SocketQuotaTests(GatewayFixture fixture) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private GatewayHost Start(Dictionary<string, string?> settings)
    {
        settings.TryAdd("Limits:SocketRetryAfter", "00:00:07");
        return fixture.StartGateway(settings);
    }

    /// <summary>A socket from <paramref name="source"/> through <paramref name="gateway"/>, past the downstream's "seen" frame.</summary>
    private async Task<ClientWebSocket> ConnectAsync(GatewayHost gateway, string source, string tenant = "demo", string? token = null)
    {
        var socket = Owned(AgentSockets.New());
        var invoker = Owned(new HttpMessageInvoker(GatewayHost.Handler(source)));
        token ??= fixture.Tokens.Mint(tenant: tenant, subject: $"agent-{Guid.NewGuid():N}", role: Roles.Agent);
        await socket.OpenAsync(gateway, token, invoker);
        return socket;
    }

    /// <summary>The status a socket from <paramref name="source"/> is answered with (101 when it opened; it is closed again).</summary>
    private async Task<(HttpStatusCode Status, string? RetryAfter)> TryConnectAsync(GatewayHost gateway, string source, string tenant = "demo", string? token = null)
    {
        try
        {
            var socket = await ConnectAsync(gateway, source, tenant, token);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            return (HttpStatusCode.SwitchingProtocols, null);
        }
        catch (WebSocketException)
        {
            var refused = (ClientWebSocket)_owned.Last(o => o is ClientWebSocket);
            return (refused.HttpStatusCode,
                refused.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true ? values.Single() : null);
        }
    }

    /// <summary>The problem document of a refused upgrade (a WebSocket client shows only the status).</summary>
    private async Task<JsonElement> RefusalAsync(GatewayHost gateway, string source, string tenant = "demo")
    {
        using var client = gateway.ClientFrom(source);
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/ws/agent?access_token={fixture.Tokens.Mint(tenant: tenant, subject: "agent-refused", role: Roles.Agent)}");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.ParseAdd("websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        using var response = await client.SendAsync(request);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        return await response.ProblemAsync(HttpStatusCode.TooManyRequests);
    }

    /// <summary>A socket's place is given back when the proxied request ends, a moment after the client let go.</summary>
    private static Task UntilHeldAsync(Func<int> held, int expected, string what) =>
        Eventually.UntilAsync(() => held() == expected, what, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), () => $"{held()} held");

    private T Owned<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
    }

    [Fact]
    public async Task Past_its_cap_an_address_gets_429_naming_the_cap_its_sockets_keep_going_and_each_one_that_ends_frees_a_place()
    {
        await using var gateway = Start(new() { ["Limits:MaxSocketsPerIp"] = "3" });
        var quotas = gateway.Services.GetRequiredService<SocketQuotas>();
        var address = IPAddress.Parse("127.0.0.41");
        var held = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++) held.Add(await ConnectAsync(gateway, "127.0.0.41"));

        Assert.Equal((HttpStatusCode.TooManyRequests, "7"), await TryConnectAsync(gateway, "127.0.0.41"));
        var problem = await RefusalAsync(gateway, "127.0.0.41");
        Assert.Equal("sockets-per-ip", problem.GetProperty("limit").GetString());
        Assert.Contains("maximum of 3 sockets", problem.GetProperty("detail").GetString());
        // Another address is not held back by this one; plain requests from this one still pass.
        Assert.Equal(HttpStatusCode.SwitchingProtocols, (await TryConnectAsync(gateway, "127.0.0.42")).Status);
        using (var client = gateway.ClientFrom("127.0.0.41"))
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/x", fixture.Tokens.Mint())).StatusCode);
        for (var i = 0; i < 3; i++) await AssertEchoesAsync(held[i], $"still here {i}");

        // A closed socket frees its place.
        await held[0].CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await UntilHeldAsync(() => quotas.HeldBy(address), 2, "the close frees a place");
        held[0] = await ConnectAsync(gateway, "127.0.0.41");
        await AssertEchoesAsync(held[0], "in the freed place");

        // So does an aborted one (no close handshake: the client just goes).
        held[1].Abort();
        await UntilHeldAsync(() => quotas.HeldBy(address), 2, "the abort frees a place");
        held[1] = await ConnectAsync(gateway, "127.0.0.41");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await TryConnectAsync(gateway, "127.0.0.41")).Status);

        // And one refused further in (a forged token, 401) gives back the place it held while it was checked.
        foreach (var socket in held) socket.Dispose();
        await UntilHeldAsync(() => quotas.HeldBy(address), 0, "every place is free");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await TryConnectAsync(gateway, "127.0.0.41", token: "forged.token.value")).Status);
        for (var i = 0; i < 3; i++) await ConnectAsync(gateway, "127.0.0.41");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await TryConnectAsync(gateway, "127.0.0.41")).Status);
    }

    [Fact]
    public async Task Counted_from_many_threads_a_key_never_holds_more_than_its_cap_and_gives_every_place_back()
    {
        var held = new HeldSockets<string>(StringComparer.Ordinal);
        var most = 0;
        var current = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                if (held.TryHold("tenant", 3) is not { } place) continue;
                var now = Interlocked.Increment(ref current);
                InterlockedMax(ref most, now);
                Interlocked.Decrement(ref current);
                place.Release();
            }
        })));
        Assert.InRange(most, 1, 3);
        Assert.Equal(0, held.Held("tenant"));
        // Retired at zero and taken afresh: the key counts from nothing again.
        var places = Enumerable.Range(0, 3).Select(_ => held.TryHold("tenant", 3)).ToList();
        Assert.All(places, Assert.NotNull);
        Assert.Null(held.TryHold("tenant", 3));
        Assert.Equal(3, held.Held("tenant"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    [Fact]
    public async Task A_refusal_past_the_address_cap_costs_no_token_check()
    {
        await using var gateway = Start(new() { ["Limits:MaxSocketsPerIp"] = "1" });
        await ConnectAsync(gateway, "127.0.0.44");
        // A forged token gets the cap's answer, not 401: the address is counted before the token is read.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await TryConnectAsync(gateway, "127.0.0.44", token: "forged.token.value")).Status);
    }

    [Fact]
    public async Task An_allowance_raises_the_socket_cap_of_its_network_per_address_and_still_refuses_past_it()
    {
        await using var gateway = Start(new()
        {
            ["Limits:MaxSocketsPerIp"] = "2",
            // The load source's allowance (the AppHost gives loopback one in local runs): sockets of its own, per address.
            ["RateLimits:Allowances:0:Network"] = "127.0.9.0/24",
            ["RateLimits:Allowances:0:TokenLimit"] = "1000",
            ["RateLimits:Allowances:0:TokensPerPeriod"] = "1000",
            ["RateLimits:Allowances:0:MaxSockets"] = "5",
        });
        for (var i = 0; i < 5; i++) await ConnectAsync(gateway, "127.0.9.7");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await TryConnectAsync(gateway, "127.0.9.7")).Status);
        // Per address, not shared by the network: a neighbour in it has five of its own.
        for (var i = 0; i < 5; i++) await ConnectAsync(gateway, "127.0.9.8");
        // Outside the network the default holds.
        for (var i = 0; i < 2; i++) await ConnectAsync(gateway, "127.0.0.45");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await TryConnectAsync(gateway, "127.0.0.45")).Status);
    }

    [Fact]
    public async Task Past_the_default_tenant_cap_a_tenant_gets_429_from_any_address_and_other_tenants_do_not()
    {
        await using var gateway = Start(new() { ["Limits:MaxSocketsPerTenant"] = "2" });
        var held = new[] { await ConnectAsync(gateway, "127.0.0.46", "crowded"), await ConnectAsync(gateway, "127.0.0.47", "crowded") };

        Assert.Equal((HttpStatusCode.TooManyRequests, "7"), await TryConnectAsync(gateway, "127.0.0.48", "crowded"));
        var problem = await RefusalAsync(gateway, "127.0.0.48", "crowded");
        Assert.Equal("sockets-per-tenant", problem.GetProperty("limit").GetString());
        Assert.Contains("'crowded'", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.SwitchingProtocols, (await TryConnectAsync(gateway, "127.0.0.48", "quiet")).Status);
        foreach (var socket in held) await AssertEchoesAsync(socket, "held");

        held[0].Abort();
        var quotas = gateway.Services.GetRequiredService<SocketQuotas>();
        await UntilHeldAsync(() => quotas.HeldBy("crowded"), 1, "the abort frees the tenant's place");
        await ConnectAsync(gateway, "127.0.0.48", "crowded");
    }
}
