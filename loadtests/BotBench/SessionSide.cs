using System.Collections.Concurrent;
using System.Diagnostics;
using CustomerService.Bot.Conversations;
using CustomerService.Contracts;
using Google.Protobuf;
using HdrHistogram;
using NATS.Client.Core;
using StackExchange.Redis;

namespace CustomerService.Bot.Bench;

/// <summary>
/// Latencies of one scenario: from the moment each message was due (open-loop: a sender that falls behind under
/// load shows as latency) and from the moment it was actually published (the bot's path alone).
/// </summary>
internal sealed class Latencies
{
    public LongHistogram FromIntended { get; } = new(TimeStamp.Seconds(60), 3);
    public LongHistogram FromSent { get; } = new(TimeStamp.Seconds(60), 3);
}

/// <summary>
/// Plays Session: seeds each conversation's recent messages, publishes customer messages to the bot inbox and answers
/// the bot's posts, recording for each reply the time from the customer message's intended send time (so a late
/// sender cannot hide latency) to the post reaching Session.
/// </summary>
internal sealed class SessionSide(NatsConnection nats, IDatabase redis) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (long IntendedTimestamp, long SentTimestamp, Latencies? Latencies)> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _answering = Task.CompletedTask;
    private long _answered;
    private long _wrongSource;

    public long Answered => Interlocked.Read(ref _answered);
    public long WrongSource => Interlocked.Read(ref _wrongSource);
    public int Pending => _pending.Count;

    /// <summary>The source a measured scenario's replies must come from (rule or faq); a reply from elsewhere counts as wrong.</summary>
    public string ExpectedSource { get; set; } = "";

    public async Task StartAsync()
    {
        var posts = await nats.SubscribeCoreAsync(Subjects.SessionPost, "session", ProtobufSerializer<PostMessageCommand>.Default, cancellationToken: _stop.Token);
        await nats.PingAsync();
        _answering = Task.Run(async () =>
        {
            var seq = 0L;
            try
            {
                await foreach (var msg in posts.Msgs.ReadAllAsync(_stop.Token))
                {
                    var received = Stopwatch.GetTimestamp();
                    var metadata = msg.Data!.Message.Metadata;
                    if (_pending.TryRemove(metadata[MetadataKeys.InReplyTo], out var sent) && sent.Latencies is { } latencies)
                    {
                        latencies.FromIntended.RecordValue(Microseconds(sent.IntendedTimestamp, received));
                        latencies.FromSent.RecordValue(Microseconds(sent.SentTimestamp, received));
                        if (metadata[MetadataKeys.Source] != ExpectedSource) Interlocked.Increment(ref _wrongSource);
                    }
                    Interlocked.Increment(ref _answered);
                    await msg.ReplyAsync(new CommandReply { Ok = true, Seq = ++seq }, serializer: ProtobufSerializer<CommandReply>.Default);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                await posts.DisposeAsync();
            }
        });
    }

    public async Task SeedConversationAsync(string conversation)
    {
        var key = RedisKeys.RecentMessages(BenchKnowledge.Tenant, conversation);
        for (var i = 1; i <= 5; i++)
        {
            var message = Customer(conversation, $"earlier message {i}");
            message.Seq = i;
            await redis.ListRightPushAsync(key, message.ToByteArray(), flags: CommandFlags.FireAndForget);
        }
    }

    public ValueTask SendAsync(string conversation, string text, long intendedTimestamp, Latencies? latencies)
    {
        var message = Customer(conversation, text);
        _pending[message.MessageId] = (intendedTimestamp, Stopwatch.GetTimestamp(), latencies);
        return nats.PublishAsync(Subjects.BotInbox(BenchKnowledge.Tenant), new BotInboxMessage { Message = message, Language = "en" },
            serializer: ProtobufSerializer<BotInboxMessage>.Default);
    }

    private static long Microseconds(long from, long to) => Math.Max(1, (long)Stopwatch.GetElapsedTime(from, to).TotalMicroseconds);

    private static ChatMessage Customer(string conversation, string text) => new()
    {
        MessageId = Guid.NewGuid().ToString("N"),
        TenantId = BenchKnowledge.Tenant,
        ConversationId = conversation,
        Sender = new Participant { Kind = ParticipantKind.Customer, Id = "visitor-" + conversation },
        Text = text,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _answering;
        _stop.Dispose();
    }
}
