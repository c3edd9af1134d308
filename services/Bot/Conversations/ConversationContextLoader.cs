using CustomerService.Contracts;
using Google.Protobuf;
using StackExchange.Redis;

namespace CustomerService.Bot.Conversations;

/// <summary>The conversation's latest messages and the customer's profile, as Session keeps them in Redis.</summary>
public sealed record ConversationContext(IReadOnlyList<ChatMessage> RecentMessages, CustomerContext? Customer)
{
    public static ConversationContext None { get; } = new([], null);
}

internal sealed partial class ConversationContextLoader(IConnectionMultiplexer redis, ILogger<ConversationContextLoader> logger)
{
    /// <summary>How many of the latest messages the bot looks at.</summary>
    public const int RecentMessageCount = 5;

    public async Task<ConversationContext> LoadAsync(string tenantId, string conversationId)
    {
        try
        {
            var db = redis.GetDatabase();
            // Both commands go out before either reply is awaited: one round trip.
            var recentTask = db.ListRangeAsync(RedisKeys.RecentMessages(tenantId, conversationId), -RecentMessageCount, -1);
            var customerTask = db.StringGetAsync(RedisKeys.CustomerContext(tenantId, conversationId));
            var recent = await recentTask;
            var customer = await customerTask;

            var messages = new ChatMessage[recent.Length];
            for (var i = 0; i < recent.Length; i++) messages[i] = ChatMessage.Parser.ParseFrom(((ReadOnlyMemory<byte>)recent[i]).Span);
            return new ConversationContext(messages, customer.IsNullOrEmpty ? null : CustomerContext.Parser.ParseFrom(((ReadOnlyMemory<byte>)customer).Span));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidProtocolBufferException)
        {
            // Rules and the FAQ answer without context; a missing context must not cost the customer the answer.
            LogContextUnavailable(logger, tenantId, conversationId, ex);
            return ConversationContext.None;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Context of conversation {TenantId}/{ConversationId} could not be loaded; answering without it")]
    private static partial void LogContextUnavailable(ILogger logger, string tenantId, string conversationId, Exception exception);
}
