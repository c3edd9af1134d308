using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using NATS.Client.JetStream;
using Xunit;

namespace CustomerService.Orders.Tests;

/// <summary>
/// End to end through real processes: the built Session service (started alone, as a deployment would start it, on
/// this collection's NATS and a Redis of its own) takes a supervisor's "ticket" frame; the Orders adapter sends the
/// work order over RabbitMQ to the Java order system; its answer comes back into the conversation as a system
/// message that the customer and the supervisor both receive.
/// </summary>
[Collection(OrderSystemCollection.Name)]
public partial class SessionTicketTests(OrderSystemFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^Work order (WO-\d{4}-\d{6}) has been created: Rice cooker arrived broken$")]
    private static partial Regex CreatedText();

    [Fact]
    public async Task A_ticket_raised_over_the_socket_comes_back_into_the_conversation_with_the_order_systems_number()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var session = await SessionProcess.StartAsync(fixture.Nats.Url, redis.ConnectionString);
        await WaitForSessionResultConsumerAsync();
        const string tenant = "t-e2e";

        await using var customer = await session.ConnectAsync(tenant, "v-e2e", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "电饭煲到货就坏了", entryPage = "/orders" });
        string conversation = (string)(await customer.NextAsync("ack"))["conversationId"]!;

        // Routing is not running, so the conversation waits in the queue: a supervisor joins it and raises the ticket.
        await using var supervisor = await session.ConnectAsync(tenant, "carol", Roles.Supervisor);
        await supervisor.SendAsync(new { type = "hello" });
        await supervisor.NextAsync("welcome");
        await supervisor.SendAsync(new { type = "resume", conversationId = conversation, lastSeq = 0 });
        await supervisor.NextAsync("conversation");
        await supervisor.SendAsync(new
        {
            type = "ticket", conversationId = conversation, clientId = "raise-1", title = "Rice cooker arrived broken",
            description = "Lid cracked on arrival", orderId = "SO-2026-0042", priority = "high",
        });
        var requested = await supervisor.NextAsync("ticket");
        Assert.Equal("requested", (string?)requested["status"]);
        string id = (string)requested["ticketRequestId"]!;

        var toCustomer = await customer.NextAsync("message", Patience, f => (string?)f["sender"]?["kind"] == "system");
        var toSupervisor = await supervisor.NextAsync("message", Patience, f => (string?)f["sender"]?["kind"] == "system");
        var created = CreatedText().Match((string?)toCustomer["text"] ?? "");
        Assert.True(created.Success, toCustomer.ToJsonString());
        Assert.Equal(toCustomer.ToJsonString(), toSupervisor.ToJsonString());
        Assert.Equal(2, (long?)toCustomer["seq"]);
        var status = await supervisor.NextAsync("ticket", Patience, f => (string?)f["status"] == "created");
        Assert.Equal((id, created.Groups[1].Value, 2L), ((string?)status["ticketRequestId"], (string?)status["workOrderNumber"], (long?)status["seq"]));

        // The order system numbered exactly this ticket, and read the fields the agent entered.
        Assert.Contains($"work order {id} ({tenant}/{conversation}): created {created.Groups[1].Value}", fixture.Simulator.Output);
        Assert.Equal(("created", created.Groups[1].Value), (await fixture.TicketRowAsync(id))?.Let(r => (r.State, r.Number)));
    }

    [Fact]
    public async Task A_ticket_the_order_system_rejects_comes_back_to_the_agents_with_its_reason()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var session = await SessionProcess.StartAsync(fixture.Nats.Url, redis.ConnectionString);
        await WaitForSessionResultConsumerAsync();
        const string tenant = "t-e2e-reject";

        await using var customer = await session.ConnectAsync(tenant, "v-e2e", Roles.Visitor);
        await customer.SendAsync(new { type = "hello" });
        await customer.NextAsync("welcome");
        await customer.SendAsync(new { type = "message", clientId = "m1", text = "hello" });
        string conversation = (string)(await customer.NextAsync("ack"))["conversationId"]!;
        await using var supervisor = await session.ConnectAsync(tenant, "carol", Roles.Supervisor);
        await supervisor.SendAsync(new { type = "hello" });
        await supervisor.NextAsync("welcome");
        await supervisor.SendAsync(new { type = "resume", conversationId = conversation, lastSeq = 0 });
        await supervisor.NextAsync("conversation");

        await supervisor.SendAsync(new { type = "ticket", conversationId = conversation, clientId = "raise-2", title = "Please reject this one" });
        var rejected = await supervisor.NextAsync("ticket", Patience, f => (string?)f["status"] == "rejected");
        Assert.Contains("refused", (string?)rejected["reason"]);
        Assert.Equal("rejected", (await fixture.TicketRowAsync((string)rejected["ticketRequestId"]!))?.State);
    }

    /// <summary>A Session started in this run may not have created its result consumer yet; results before it are not replayed.</summary>
    private async Task WaitForSessionResultConsumerAsync()
    {
        for (var until = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(100))
        {
            try
            {
                await fixture.JetStream.GetConsumerAsync(Subjects.TicketStreamName, "session-ticket-results");
                return;
            }
            catch (NatsJSApiException) when (DateTime.UtcNow < until) { }
        }
    }
}

internal static class LetExtensions
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> map) => map(value);
}

/// <summary>The built Session service (services/Session/bin/...) started alone with environment variables.</summary>
internal sealed class SessionProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private SessionProcess(Process process, StringBuilder output, int port)
    {
        _process = process;
        _output = output;
        Port = port;
    }

    public int Port { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<SessionProcess> StartAsync(string natsUrl, string redis)
    {
        int port = LocalServer.FreePort();
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string folder = Path.Combine(LocalServer.RepoRoot, "services", "Session", "bin", configuration, "net10.0");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(folder, "Session.dll"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ConnectionStrings__nats"] = natsUrl;
        info.Environment["ConnectionStrings__redis"] = redis;
        // Admin and Routing are not running here: their calls fail fast and Session carries on (queued, no live config).
        info.Environment["LiveConfig__Address"] = $"http://127.0.0.1:{LocalServer.FreePort()}";
        info.Environment["services__routing__grpc__0"] = $"http://127.0.0.1:{LocalServer.FreePort()}";
        info.Environment["services__crm__grpc__0"] = $"http://127.0.0.1:{LocalServer.FreePort()}";
        info.Environment["services__orders__grpc__0"] = $"http://127.0.0.1:{LocalServer.FreePort()}";
        var output = new StringBuilder();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var session = new SessionProcess(process, output, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var until = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(250))
        {
            if (process.HasExited) throw new InvalidOperationException($"Session exited with {process.ExitCode}:\n{session.Output}");
            try { if ((await http.GetAsync($"http://127.0.0.1:{port}/alive")).IsSuccessStatusCode) return session; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (DateTime.UtcNow > until)
            {
                await session.DisposeAsync();
                throw new TimeoutException($"Session did not start:\n{session.Output}");
            }
        }
    }

    public async Task<SessionSocket> ConnectAsync(string tenant, string user, string role)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(IdentityHeaders.Tenant, tenant);
        socket.Options.SetRequestHeader(IdentityHeaders.User, user);
        socket.Options.SetRequestHeader(IdentityHeaders.Role, role);
        socket.Options.SetRequestHeader(IdentityHeaders.Name, user);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}/ws/{(role == Roles.Visitor ? "customer" : "agent")}"), CancellationToken.None);
        return new SessionSocket(socket, () => Output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", $"-TERM {_process.Id}")) await term!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }
}

/// <summary>A client socket to Session that keeps every frame it receives.</summary>
internal sealed class SessionSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Func<string> _serviceOutput;
    private readonly System.Threading.Channels.Channel<JsonNode> _frames = System.Threading.Channels.Channel.CreateUnbounded<JsonNode>();
    private readonly List<JsonNode> _seen = [];
    private readonly Task _reading;

    public SessionSocket(ClientWebSocket socket, Func<string> serviceOutput)
    {
        _socket = socket;
        _serviceOutput = serviceOutput;
        _reading = ReadAsync();
    }

    public Task SendAsync(object frame) =>
        _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task<JsonNode> NextAsync(string type, TimeSpan? timeout = null, Func<JsonNode, bool>? match = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                _seen.Add(frame);
                if ((string?)frame["type"] == type && (match is null || match(frame))) return frame;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{type}' frame; seen:\n{string.Join("\n", _seen.Select(f => f.ToJsonString()))}\nSession's output:\n{_serviceOutput()}");
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                int length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) break;
                _frames.Writer.TryWrite(JsonNode.Parse(buffer.AsSpan(0, length))!);
            }
        }
        catch (WebSocketException) { }
        finally { _frames.Writer.TryComplete(); }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
    }
}
