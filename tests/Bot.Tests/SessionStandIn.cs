using System.Collections.Concurrent;
using System.Threading.Channels;
using CustomerService.Bot.Conversations;
using CustomerService.Contracts;
using Google.Protobuf;
using NATS.Client.Core;
using StackExchange.Redis;

namespace CustomerService.Bot.Tests;

/// <summary>
/// The test playing Session over real NATS and Redis: it numbers messages, keeps the recent-messages list, publishes
/// customer messages to the bot inbox and answers the bot's post and handoff commands, recording them in order.
/// </summary>
internal sealed class SessionStandIn : IAsyncDisposable
{
    private readonly NatsConnection _nats;
    private readonly IDatabase _redis;
    private readonly ConcurrentDictionary<string, long> _sequences = new();
    private readonly List<Task> _responders = [];
    private readonly CancellationTokenSource _stop = new();

    private SessionStandIn(NatsConnection nats, IDatabase redis)
    {
        _nats = nats;
        _redis = redis;
    }

    /// <summary>Every command the bot sent, in the order Session received them (PostMessageCommand or HandoffCommand).</summary>
    public Channel<IMessage> Commands { get; } = Channel.CreateUnbounded<IMessage>();

    public static async Task<SessionStandIn> StartAsync(Servers servers, bool answerCommands = true)
    {
        var nats = new NatsConnection(new NatsOpts { Url = servers.Nats.Url, Name = "session-stand-in" });
        await nats.ConnectAsync();
        var session = new SessionStandIn(nats, servers.RedisConnection.GetDatabase());
        if (answerCommands) await session.AnswerCommandsAsync();
        return session;
    }

    public async Task AnswerCommandsAsync()
    {
        var posts = await _nats.SubscribeCoreAsync(Subjects.SessionPost, "session", ProtobufSerializer<PostMessageCommand>.Default, cancellationToken: _stop.Token);
        var handoffs = await _nats.SubscribeCoreAsync(Subjects.SessionHandoff, "session", ProtobufSerializer<HandoffCommand>.Default, cancellationToken: _stop.Token);
        await _nats.PingAsync();
        _responders.Add(RespondAsync(posts, async command =>
        {
            var seq = await AppendAsync(command.Message);
            return new CommandReply { Ok = true, Seq = seq };
        }));
        _responders.Add(RespondAsync(handoffs, _ => Task.FromResult(new CommandReply { Ok = true })));
    }

    /// <summary>A customer's message as Session handles it: numbered, kept in the recent list, then given to the bot.</summary>
    public async Task<ChatMessage> SendCustomerMessageAsync(string tenant, string conversation, string text, bool started = false, string language = "en")
    {
        var message = Customer(tenant, conversation, text);
        await AppendAsync(message);
        await PublishToInboxAsync(new BotInboxMessage { Message = message, ConversationStarted = started, Language = language, VisitorId = "v1" });
        return message;
    }

    public ValueTask PublishToInboxAsync(BotInboxMessage inbox) =>
        _nats.PublishAsync(Subjects.BotInbox(inbox.Message.TenantId), inbox, serializer: ProtobufSerializer<BotInboxMessage>.Default);

    public static ChatMessage Customer(string tenant, string conversation, string text) => new()
    {
        MessageId = Guid.NewGuid().ToString("N"),
        TenantId = tenant,
        ConversationId = conversation,
        Sender = new Participant { Kind = ParticipantKind.Customer, Id = "v1", DisplayName = "Visitor" },
        Text = text,
    };

    /// <summary>Numbers a message and adds it to the conversation's recent list, as Session does for every message.</summary>
    public async Task<long> AppendAsync(ChatMessage message)
    {
        message.Seq = _sequences.AddOrUpdate(message.TenantId + "/" + message.ConversationId, 1, (_, seq) => seq + 1);
        var key = RedisKeys.RecentMessages(message.TenantId, message.ConversationId);
        await _redis.ListRightPushAsync(key, message.ToByteArray());
        await _redis.ListTrimAsync(key, -RedisKeys.RecentMessagesKept, -1);
        return message.Seq;
    }

    public async Task<IMessage> NextCommandAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await Commands.Reader.ReadAsync(cts.Token);
    }

    public async Task<T> NextCommandAsync<T>(TimeSpan? timeout = null) where T : IMessage => Assert.IsType<T>(await NextCommandAsync(timeout));

    private Task RespondAsync<T>(INatsSub<T> subscription, Func<T, Task<CommandReply>> handle) where T : IMessage => Task.Run(async () =>
    {
        try
        {
            await foreach (var msg in subscription.Msgs.ReadAllAsync(_stop.Token))
            {
                await Commands.Writer.WriteAsync(msg.Data!);
                await msg.ReplyAsync(await handle(msg.Data!), serializer: ProtobufSerializer<CommandReply>.Default);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await subscription.DisposeAsync();
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_responders);
        await _nats.DisposeAsync();
        _stop.Dispose();
    }
}
