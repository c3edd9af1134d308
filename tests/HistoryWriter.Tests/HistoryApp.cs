using System.Net.Http.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.Storage;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>The HistoryWriter service itself, in process, on a real nats-server and the shared embedded engine.</summary>
internal sealed class HistoryApp(string natsUrl, string database, string consumerName, string? clickHouse = null,
    IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    public string Database { get; } = database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(Path.Combine(LocalServer.RepoRoot, "services", "HistoryWriter"));
        builder.UseSetting("ConnectionStrings:nats", natsUrl);
        builder.UseSetting("History:DataDir", TestEngine.DataDirectory);
        builder.UseSetting("History:ChdbLibrary", TestEngine.Library);
        builder.UseSetting("History:Database", Database);
        builder.UseSetting("History:ConsumerName", consumerName);
        builder.UseSetting("History:BatchDelay", "00:00:00.050");
        if (clickHouse is not null) builder.UseSetting("ConnectionStrings:clickhouse", clickHouse);
        builder.UseSetting("Auth:InternalKey", TestIdentity.KeyBase64);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        _ = TestEngine.Connection;
        return base.CreateHost(builder);
    }

    public HistoryStore Store => Services.GetRequiredService<HistoryStore>();

    public HttpClient ClientFor(string tenant, string role, string user = "u-1")
    {
        var client = CreateDefaultClient(TestIdentity.Signer());
        client.DefaultRequestHeaders.Add(IdentityHeaders.Tenant, tenant);
        client.DefaultRequestHeaders.Add(IdentityHeaders.Role, role);
        client.DefaultRequestHeaders.Add(IdentityHeaders.User, user);
        return client;
    }

    /// <summary>Rows in a table for a tenant, duplicates included (no FINAL): what the engine physically holds.</summary>
    public async Task<long> RawCountAsync(string table, string tenant) =>
        await Store.Database.QueryAsync($"SELECT count() AS n FROM {Store.Schema.Database}.{table} WHERE tenant_id = {{tenant:String}}",
            new QueryParameters().Add("tenant", tenant),
            json => ReadCount(System.Text.Json.JsonDocument.Parse(json.ToArray()).RootElement.GetProperty("n")), default);

    private static long ReadCount(System.Text.Json.JsonElement n) =>
        n.ValueKind == System.Text.Json.JsonValueKind.String ? long.Parse(n.GetString()!) : n.GetInt64();
}

/// <summary>Publishes onto the platform's streams as Session does (message id as Nats-Msg-Id).</summary>
internal sealed class StreamPublisher(string natsUrl) : IAsyncDisposable
{
    private readonly NatsClient _client = new(natsUrl);

    public INatsJSContext JetStream => _client.CreateJetStreamContext();

    public async Task EnsureStreamsAsync() => await ChatStreams.EnsureAsync(JetStream);

    public async Task PublishAsync(ChatMessage message, string? msgId = null) =>
        (await JetStream.PublishAsync(Subjects.Message(message.TenantId, message.ConversationId), message.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = msgId ?? message.MessageId })).EnsureSuccess();

    public async Task PublishAsync(ConversationEvent e) =>
        (await JetStream.PublishAsync(Subjects.ConversationEvent(e.TenantId, e.ConversationId, e.KindCase.ToString().ToLowerInvariant()),
            e.ToByteArray(), opts: new NatsJSPubOpts { MsgId = e.EventId })).EnsureSuccess();

    public async Task PublishRawAsync(string subject, byte[] payload, string msgId) =>
        (await JetStream.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId })).EnsureSuccess();

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}

/// <summary>The history API as the tests read it.</summary>
internal static class HistoryApi
{
    /// <summary>How long a test waits for the archive to show what was published.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly System.Text.Json.JsonSerializerOptions Web = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The JSON answer; an error status throws (<see cref="Eventually.HttpFailed"/>: a 404 before the archive stored it).</summary>
    public static async Task<T> JsonAsync<T>(HttpClient client, string url) => (await client.GetFromJsonAsync<T>(url, Web))!;
}
