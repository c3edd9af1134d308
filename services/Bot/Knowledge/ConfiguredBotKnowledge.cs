using Microsoft.Extensions.Options;

namespace CustomerService.Bot.Knowledge;

/// <summary>
/// Loads every tenant's knowledge from configuration (Bot:Tenants) into the <see cref="BotKnowledgeStore"/> on start
/// and again whenever the configuration reloads. A tenant whose new version is invalid keeps its previous one.
/// </summary>
internal sealed partial class ConfiguredBotKnowledge(
    BotKnowledgeStore store, IOptionsMonitor<BotOptions> options, ILogger<ConfiguredBotKnowledge> logger) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private HashSet<string> _loaded = new(StringComparer.Ordinal);
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Load(options.CurrentValue);
        _subscription = options.OnChange(Load);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _subscription?.Dispose();

    private void Load(BotOptions current)
    {
        lock (_gate)
        {
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (tenantId, knowledge) in current.Tenants)
            {
                loaded.Add(tenantId);
                try
                {
                    store.Replace(tenantId, knowledge);
                    LogLoaded(logger, tenantId, knowledge.Rules.Count, knowledge.Faq.Count);
                }
                catch (InvalidBotKnowledgeException ex)
                {
                    LogRejected(logger, tenantId, string.Join("; ", ex.Errors));
                }
            }
            foreach (var removed in _loaded.Except(loaded)) store.Remove(removed);
            _loaded = loaded;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bot knowledge of {TenantId} loaded: {Rules} rules, {FaqEntries} FAQ entries")]
    private static partial void LogLoaded(ILogger logger, string tenantId, int rules, int faqEntries);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bot knowledge of {TenantId} rejected, the previous version stays: {Errors}")]
    private static partial void LogRejected(ILogger logger, string tenantId, string errors);
}

/// <summary>Refuses to start with invalid bot knowledge in configuration, naming every error.</summary>
internal sealed class BotOptionsValidator : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        var failures = new List<string>();
        foreach (var (tenantId, knowledge) in options.Tenants)
        {
            foreach (var error in BotKnowledgeValidator.Validate(knowledge)) failures.Add($"Bot:Tenants:{tenantId}: {error}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
