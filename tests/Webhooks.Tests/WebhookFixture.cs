using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;
using Npgsql;
using Xunit;

namespace CustomerService.Webhooks.Tests;

[CollectionDefinition(Name)]
public sealed class WebhookCollection : ICollectionFixture<WebhookFixture>
{
    public const string Name = "webhooks";
}

/// <summary>
/// Real servers for the collection, started once: NATS with JetStream, PostgreSQL (webhookdb), one receiver, and the
/// adapter in-process with small retry pauses (100 ms doubling to 200 ms, 4 attempts). Tests use tenants of their own.
/// </summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    public const int MaxAttempts = 4;
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(100);
    public const double Jitter = 0.2;

    public NatsServer Nats { get; private set; } = null!;
    public PostgresServer Postgres { get; private set; } = null!;
    public Receiver Receiver { get; private set; } = null!;
    public WebhooksHost Host { get; private set; } = null!;
    public NatsConnection NatsClient { get; private set; } = null!;
    public INatsJSContext JetStream { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var nats = NatsServer.StartAsync();
        var postgres = PostgresServer.StartAsync("webhookdb");
        var receiver = Receiver.StartAsync();
        try { await Task.WhenAll(nats, postgres, receiver); }
        finally
        {
            if (nats.IsCompletedSuccessfully) Nats = nats.Result;
            if (postgres.IsCompletedSuccessfully) Postgres = postgres.Result;
            if (receiver.IsCompletedSuccessfully) Receiver = receiver.Result;
        }
        NatsClient = new NatsConnection(new NatsOpts { Url = Nats.Url });
        await NatsClient.ConnectAsync();
        JetStream = NatsClient.CreateJetStreamContext();
        Host = await WebhooksHost.StartAsync(Settings(Postgres.ConnectionString("webhookdb"), "webhooks"));
        await WaitForConsumersAsync("webhooks");
    }

    public Dictionary<string, string?> Settings(string database, string consumer) => new()
    {
        ["ConnectionStrings:nats"] = Nats.Url,
        ["ConnectionStrings:webhookdb"] = database,
        ["Webhooks:ConsumerName"] = consumer,
        ["Webhooks:BaseDelay"] = BaseDelay.ToString(),
        ["Webhooks:MaxDelay"] = "00:00:00.200",
        ["Webhooks:Jitter"] = Jitter.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks:MaxAttempts"] = MaxAttempts.ToString(),
        ["Webhooks:PollInterval"] = "00:00:00.050",
        ["Webhooks:Timeout"] = "00:00:02",
        ["Webhooks:SubscriptionRefresh"] = "00:00:00.200",
        // The receivers listen on 127.0.0.1: opened for them alone (production leaves every non-public address shut).
        ["Webhooks:AllowedNetworks:0"] = "127.0.0.1/32",
        // Breakers stay shut here: the retry tests count every attempt (HardeningTests start a host that trips them).
        ["Webhooks:Breaker:MinimumThroughput"] = "1000",
    };

    /// <summary>The consumers start at new messages: publish only once both exist.</summary>
    public async Task WaitForConsumersAsync(string name)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var stream in new[] { ChatStreams.Events, ChatStreams.Messages })
            await Eventually.GetAsync(() => JetStream.GetConsumerAsync(stream, name).AsTask(), _ => true, $"the consumer {name} on {stream}",
                until - DateTime.UtcNow, notYet: e => e is NatsJSApiException);
    }

    public Task<string> CreateDatabaseAsync(string name) => Postgres.CreateDatabaseAsync(name);

    /// <summary>Registers a webhook through the API as the tenant's admin; returns its id and secret.</summary>
    public static async Task<(Guid Id, string Secret)> RegisterAsync(HttpClient api, string url, params string[] events)
    {
        using var response = await api.PostAsJsonAsync("/api/admin/webhooks", new { url, events });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, text);
        using var json = JsonDocument.Parse(text);
        return (json.RootElement.GetProperty("id").GetGuid(), json.RootElement.GetProperty("secret").GetString()!);
    }

    public async Task PublishAsync(ChatMessage message, string? msgId = null)
    {
        var ack = await JetStream.PublishAsync(Subjects.Message(message.TenantId, message.ConversationId), message.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = msgId ?? $"{message.ConversationId}:{message.MessageId}" });
        ack.EnsureSuccess();
    }

    public async Task PublishAsync(ConversationEvent e)
    {
        var kind = ConversationEvent.Descriptor.Oneofs[0].Fields.First(f => f.FieldNumber == (int)e.KindCase).Name;
        var ack = await JetStream.PublishAsync(Subjects.ConversationEvent(e.TenantId, e.ConversationId, kind), e.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = e.EventId });
        ack.EnsureSuccess();
    }

    public static ChatMessage Message(string tenant, string conversation, long seq, string text, ParticipantKind kind = ParticipantKind.Customer) => new()
    {
        MessageId = "m-" + Guid.NewGuid().ToString("N")[..12],
        TenantId = tenant,
        ConversationId = conversation,
        Seq = seq,
        Sender = new Participant { Kind = kind, Id = kind == ParticipantKind.Customer ? "v-1" : "agent-7", DisplayName = kind == ParticipantKind.Customer ? "访客" : "Alice" },
        Text = text,
        SentAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    public static ConversationEvent Event(string tenant, string conversation, ConversationState state, Action<ConversationEvent> kind)
    {
        var e = new ConversationEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            TenantId = tenant,
            ConversationId = conversation,
            OccurredAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            State = state,
        };
        kind(e);
        return e;
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (NatsClient is not null) await NatsClient.DisposeAsync();
        if (Receiver is not null) await Receiver.DisposeAsync();
        if (Nats is not null) await Nats.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
    }
}
