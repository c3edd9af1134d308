using CustomerService.Contracts;
using CustomerService.Session.Conversations;
using CustomerService.Session.Sockets;
using Google.Protobuf;
using NATS.Client.Core;

namespace CustomerService.Session.Messaging;

/// <summary>
/// Commands from other services (the bot's replies and handoffs) over NATS request-reply, answered by any
/// replica (queue group "session").
/// </summary>
public sealed partial class SessionCommands(
    INatsConnection nats,
    IServiceScopeFactory scopes,
    ILogger<SessionCommands> logger) : BackgroundService
{
    private const string QueueGroup = "session";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        ServeAsync(Subjects.SessionPost, PostAsync, stoppingToken),
        ServeAsync(Subjects.SessionHandoff, HandoffAsync, stoppingToken));

    private async Task ServeAsync(string subject, Func<ConversationService, byte[], CancellationToken, Task<CommandReply>> handle, CancellationToken ct)
    {
        await foreach (var msg in nats.SubscribeAsync<byte[]>(subject, queueGroup: QueueGroup, cancellationToken: ct))
        {
            CommandReply reply;
            try
            {
                using var scope = scopes.CreateScope();
                reply = msg.Data is null
                    ? new CommandReply { Error = "empty command" }
                    : await handle(scope.ServiceProvider.GetRequiredService<ConversationService>(), msg.Data, ct);
            }
            catch (InvalidProtocolBufferException e)
            {
                reply = new CommandReply { Error = $"malformed command: {e.Message}" };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCommandFailed(e, subject);
                reply = new CommandReply { Error = "internal error" };
            }
            await msg.ReplyAsync(reply.ToByteArray(), cancellationToken: ct);
        }
    }

    private static async Task<CommandReply> PostAsync(ConversationService conversations, byte[] data, CancellationToken ct)
    {
        var command = PostMessageCommand.Parser.ParseFrom(data);
        var m = command.Message;
        if (m is null || m.TenantId.Length == 0 || m.ConversationId.Length == 0 || m.MessageId.Length == 0 || m.Text.Length == 0)
            return new CommandReply { Error = "a posted message needs tenant_id, conversation_id, message_id and text" };
        var kind = m.Sender?.Kind is ParticipantKind.Bot or ParticipantKind.System ? m.Sender.Kind : ParticipantKind.System;
        var sender = new Identity(m.TenantId, m.Sender?.Id ?? "system", "service", m.Sender?.DisplayName ?? "", []);
        var result = await conversations.PostAsync(sender, kind, m.ConversationId, m.MessageId, m.Text, m.QuickReplies, ct, m.Metadata);
        return result.Message is null
            ? new CommandReply { Error = result.Error }
            : new CommandReply { Ok = true, Seq = result.Message.Seq };
    }

    private static async Task<CommandReply> HandoffAsync(ConversationService conversations, byte[] data, CancellationToken ct)
    {
        var command = HandoffCommand.Parser.ParseFrom(data);
        var error = await conversations.HandoffAsync(command.TenantId, command.ConversationId, command.Reason, ct);
        return error is null ? new CommandReply { Ok = true } : new CommandReply { Error = error };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "command on {Subject} failed")]
    private partial void LogCommandFailed(Exception e, string subject);
}
