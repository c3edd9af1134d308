using CustomerService.Contracts;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using Polly;
using Polly.Retry;

namespace CustomerService.Bot.Conversations;

/// <summary>
/// The bot's side of Session's commands: post a message into the conversation (numbered, stored and delivered
/// like any other, so the agent sees it later) and hand the conversation to a human. A request that finds no
/// Session replica or gets no reply is tried again; a re-sent post keeps its message id, so Session stores it once.
/// </summary>
internal sealed class SessionCommands
{
    private readonly INatsConnection _nats;
    private readonly NatsSubOpts _replyOptions;
    private readonly ResiliencePipeline _retry;

    public SessionCommands(INatsConnection nats, IOptions<BotOptions> options, TimeProvider time)
    {
        _nats = nats;
        _replyOptions = new NatsSubOpts { Timeout = options.Value.SessionRequestTimeout, ThrowIfNoResponders = true };
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 3,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = new PredicateBuilder().Handle<NatsNoRespondersException>().Handle<NatsNoReplyException>(),
            })
            .Build();
    }

    /// <returns>The sequence number Session gave the message.</returns>
    public async ValueTask<long> PostAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(Subjects.SessionPost, new PostMessageCommand { Message = message }, cancellationToken);
        return reply.Seq;
    }

    public async ValueTask HandOffAsync(HandoffCommand command, CancellationToken cancellationToken) =>
        await RequestAsync(Subjects.SessionHandoff, command, cancellationToken);

    private async ValueTask<CommandReply> RequestAsync<TCommand>(string subject, TCommand command, CancellationToken cancellationToken)
        where TCommand : Google.Protobuf.IMessage<TCommand>, new()
    {
        var reply = await _retry.ExecuteAsync(static async (state, token) =>
        {
            var response = await state.Self._nats.RequestAsync(state.Subject, state.Command,
                requestSerializer: ProtobufSerializer<TCommand>.Default,
                replySerializer: ProtobufSerializer<CommandReply>.Default,
                replyOpts: state.Self._replyOptions,
                cancellationToken: token);
            response.EnsureSuccess();
            return response.Data ?? new CommandReply();
        }, (Self: this, Subject: subject, Command: command), cancellationToken);
        if (!reply.Ok) throw new SessionCommandException(subject, reply.Error);
        return reply;
    }
}

/// <summary>Session answered a command with a refusal.</summary>
public sealed class SessionCommandException(string subject, string error) : Exception($"{subject} refused: {error}");
