using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CustomerService.Bot.Conversations;

/// <summary>The unanswered-turn count in Redis, one key per conversation that expires when the conversation goes quiet.</summary>
internal sealed class RedisUnansweredTurns(IConnectionMultiplexer redis, IOptions<BotOptions> options) : IUnansweredTurns
{
    // Count and refresh the expiry in one atomic round trip.
    private const string IncrementScript = "local n = redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return n";

    private readonly long _ttlMilliseconds = (long)options.Value.UnansweredTurnsTtl.TotalMilliseconds;

    public static string Key(string tenantId, string conversationId) => $"cs:{tenantId}:conv:{conversationId}:bot:unanswered";

    public async ValueTask<long> IncrementAsync(string tenantId, string conversationId, CancellationToken cancellationToken)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(IncrementScript, [Key(tenantId, conversationId)], [_ttlMilliseconds]);
        return (long)result;
    }

    // Commands on one connection run in order, so a later increment still sees this delete without waiting for it.
    public void Reset(string tenantId, string conversationId) =>
        redis.GetDatabase().KeyDelete(Key(tenantId, conversationId), CommandFlags.FireAndForget);
}
