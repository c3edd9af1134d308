using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Tickets;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace CustomerService.Session.Tests.Tickets;

[CollectionDefinition(Name)]
public sealed class SessionCollection : ICollectionFixture<SessionFixture>
{
    public const string Name = "session on real servers";
}

/// <summary>A real nats-server (JetStream) and redis-server, and Session hosted against them, once per collection.</summary>
public sealed class SessionFixture : IAsyncLifetime
{
    public NatsServer Nats { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public SessionHost Host { get; private set; } = null!;
    public NatsConnection NatsClient { get; private set; } = null!;
    public INatsJSContext JetStream { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var nats = NatsServer.StartAsync();
        var redis = RedisServer.StartAsync();
        try { await Task.WhenAll(nats, redis); }
        finally
        {
            if (nats.IsCompletedSuccessfully) Nats = nats.Result;
            if (redis.IsCompletedSuccessfully) Redis = redis.Result;
        }
        NatsClient = new NatsConnection(new NatsOpts { Url = Nats.Url });
        await NatsClient.ConnectAsync();
        JetStream = NatsClient.CreateJetStreamContext();
        Host = await SessionHost.StartAsync(Nats.Url, Redis.ConnectionString);
        await WaitForResultConsumerAsync(JetStream);
    }

    /// <summary>Session's result consumer delivers only results published after it exists: wait for it.</summary>
    public static Task WaitForResultConsumerAsync(INatsJSContext js) =>
        Eventually.GetAsync(() => js.GetConsumerAsync(Subjects.TicketStreamName, TicketResultListener.ConsumerName).AsTask(), _ => true,
            $"Session's consumer {TicketResultListener.ConsumerName} on {Subjects.TicketStreamName}", TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(100), notYet: e => e is NatsJSApiException);

    public ConversationStore Store => Host.Get<ConversationStore>();

    /// <summary>A conversation of <paramref name="visitor"/> assigned to <paramref name="agent"/>, as Routing would leave it.</summary>
    public async Task<string> AssignedConversationAsync(string tenant, string visitor, string agent)
    {
        var conversation = await Store.CreateAsync(tenant, visitor, "Visitor " + visitor, "/orders", "zh");
        Assert.NotNull(await Store.MoveAsync(tenant, conversation.Id, ConversationStates.Queued));
        Assert.NotNull(await Store.MoveAsync(tenant, conversation.Id, ConversationStates.Assigned, agent, agent, "general"));
        await Store.AddAgentConversationAsync(tenant, agent, conversation.Id);
        return conversation.Id;
    }

    /// <summary>Every message stored in a stream on <paramref name="subject"/> (no wildcards), with its headers, read by an ephemeral consumer.</summary>
    public async Task<List<INatsJSMsg<byte[]>>> StoredAsync(string stream, string subject)
    {
        var consumer = await JetStream.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { FilterSubjects = [subject] });
        var messages = new List<INatsJSMsg<byte[]>>();
        await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000 }, NatsRawSerializer<byte[]>.Default))
            if (message.Subject == subject) messages.Add(message);
        return messages;
    }

    /// <summary>Publishes a result as the Orders adapter does (JetStream, Nats-Msg-Id "{id}:result" unless told otherwise).</summary>
    public async Task PublishResultAsync(TicketResult result, string? messageId = null)
    {
        var ack = await JetStream.PublishAsync(Subjects.TicketResult(result.TenantId), result.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = messageId ?? $"{result.TicketRequestId}:result" });
        ack.EnsureSuccess();
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
        if (NatsClient is not null) await NatsClient.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Nats is not null) await Nats.DisposeAsync();
    }
}
