using System.Diagnostics;
using System.Net.Http.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;
using CustomerService.TestInfrastructure;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// Stopping HistoryWriter in the middle of a steady stream loses and doubles nothing: what was not acked comes again
/// and is stored once. Once in process (a stop), once as the real thing: the built service killed with SIGKILL.
/// </summary>
public sealed class RestartTests : IAsyncLifetime
{
    private const int Conversations = 3;
    private const int PerConversation = 1500;
    private NatsServer _nats = null!;
    private StreamPublisher _publisher = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServer.StartAsync();
        _publisher = new StreamPublisher(_nats.Url);
        await _publisher.EnsureStreamsAsync();
    }

    public async Task DisposeAsync()
    {
        await _publisher.DisposeAsync();
        await _nats.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_mid_stream_and_starting_again_stores_every_message_exactly_once()
    {
        var tenant = "t-restart";
        var database = TestEngine.NewDatabase("restart");
        var first = new HistoryApp(_nats.Url, database, "history-restart");
        var client = first.ClientFor(tenant, Roles.Admin);
        var stream = PublishSteadilyAsync(tenant);

        await Eventually.GetAsync(() => LastSeqAsync(client, tenant, 0), seq => seq >= 300, "a third stored", TimeSpan.FromSeconds(60),
            notYet: Eventually.HttpFailed);
        await first.DisposeAsync();

        await using var second = new HistoryApp(_nats.Url, database, "history-restart");
        client = second.ClientFor(tenant, Roles.Admin);
        await stream;
        await AssertEveryMessageOnceAsync(client);
    }

    [Fact]
    public async Task Kill_9_mid_stream_and_start_again_stores_every_message_exactly_once()
    {
        var tenant = "t-kill";
        var dataDirectory = Directory.CreateTempSubdirectory("cs-history-kill-").FullName;
        var port = LocalServer.FreePort();
        using var http = TestIdentity.Client(new Uri($"http://127.0.0.1:{port}"));
        foreach (var (name, value) in new[] { (IdentityHeaders.Tenant, tenant), (IdentityHeaders.Role, Roles.Admin), (IdentityHeaders.User, "ops") })
            http.DefaultRequestHeaders.Add(name, value);
        var service = StartService(port, dataDirectory);
        try
        {
            var stream = PublishSteadilyAsync(tenant);
            await Eventually.GetAsync(() => LastSeqAsync(http, tenant, 0), seq => seq >= 300, "a third stored", TimeSpan.FromSeconds(60),
            notYet: Eventually.HttpFailed);
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();

            service = StartService(port, dataDirectory);
            await stream;
            await AssertEveryMessageOnceAsync(http);
        }
        finally
        {
            if (!service.HasExited) service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync();
            service.Dispose();
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    private Process StartService(int port, string dataDirectory)
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
        var dll = Path.Combine(LocalServer.RepoRoot, "services", "HistoryWriter", "bin", configuration, "net10.0", "HistoryWriter.dll");
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ConnectionStrings__nats"] = _nats.Url;
        info.Environment["History__DataDir"] = dataDirectory;
        info.Environment["History__ChdbLibrary"] = TestEngine.Library;
        info.Environment["History__BatchDelay"] = "00:00:00.050";
        info.Environment["Auth__InternalKey"] = TestIdentity.KeyBase64;
        // What the killed process had fetched and not acked comes back after AckWait: short here, to keep the test short.
        info.Environment["History__AckWait"] = "00:00:03";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>About 1,000 messages a second over three conversations, in seq order per conversation.</summary>
    private async Task PublishSteadilyAsync(string tenant)
    {
        var data = new HistoryData();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < PerConversation; i++)
        {
            for (var c = 0; c < Conversations; c++)
                await _publisher.PublishAsync(data.Message(tenant, $"steady-{c}", i + 1, ParticipantKind.Customer, "cust", $"message {i + 1}",
                    DateTimeOffset.UtcNow));
            var ahead = TimeSpan.FromMilliseconds((i + 1) * Conversations) - clock.Elapsed;
            if (ahead > TimeSpan.Zero) await Task.Delay(ahead);
        }
    }

    private static async Task<long> LastSeqAsync(HttpClient client, string tenant, int conversation)
    {
        var page = await client.GetFromJsonAsync<TranscriptPage>(
            $"/api/history/conversations/steady-{conversation}/messages?before={long.MaxValue}&limit=1", Web);
        return page!.Messages.Count == 0 ? 0 : page.Messages[^1].Seq;
    }

    private static async Task AssertEveryMessageOnceAsync(HttpClient client)
    {
        for (var c = 0; c < Conversations; c++)
        {
            var expected = Enumerable.Range(1, PerConversation).Select(i => (long)i).ToList();
            var seqs = await Eventually.GetAsync(() => AllSeqsAsync(client, c), s => s.SequenceEqual(expected),
                $"steady-{c} complete", TimeSpan.FromSeconds(60), notYet: Eventually.HttpFailed);
            Assert.Equal(expected, seqs);
        }
    }

    private static async Task<List<long>> AllSeqsAsync(HttpClient client, int conversation)
    {
        var seqs = new List<long>();
        long? after = 0;
        while (after is not null)
        {
            var page = (await client.GetFromJsonAsync<TranscriptPage>(
                $"/api/history/conversations/steady-{conversation}/messages?after={after}&limit=500", Web))!;
            seqs.AddRange(page.Messages.Select(m => m.Seq));
            after = page.NextAfter;
        }
        return seqs;
    }

    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);
}
