using System.Collections.Concurrent;

namespace CustomerService.Bot.Knowledge;

/// <summary>
/// The bot's knowledge in memory, fed by configuration (<see cref="ConfiguredBotKnowledge"/>) and, later, by the
/// live-configuration stream. A snapshot is validated before it replaces the current one, so a bad edit is
/// refused with its reasons and the bot keeps answering from the last good version.
/// </summary>
public sealed class BotKnowledgeStore : IBotKnowledge
{
    private readonly ConcurrentDictionary<string, TenantKnowledge> _tenants = new(StringComparer.Ordinal);

    public event Action<string>? Changed;

    public TenantKnowledge For(string tenantId) => _tenants.TryGetValue(tenantId, out var knowledge) ? knowledge : TenantKnowledge.Empty;

    /// <exception cref="InvalidBotKnowledgeException">The knowledge has errors; the current snapshot stays.</exception>
    public void Replace(string tenantId, TenantKnowledge knowledge)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var errors = BotKnowledgeValidator.Validate(knowledge);
        if (errors.Count > 0) throw new InvalidBotKnowledgeException(tenantId, errors);
        _tenants[tenantId] = knowledge;
        Changed?.Invoke(tenantId);
    }

    public bool Remove(string tenantId)
    {
        if (!_tenants.TryRemove(tenantId, out _)) return false;
        Changed?.Invoke(tenantId);
        return true;
    }
}

public sealed class InvalidBotKnowledgeException(string tenantId, IReadOnlyList<string> errors)
    : Exception($"Bot knowledge of tenant '{tenantId}' is invalid: {string.Join("; ", errors)}")
{
    public string TenantId { get; } = tenantId;
    public IReadOnlyList<string> Errors { get; } = errors;
}
