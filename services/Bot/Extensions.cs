using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Predictors;
using CustomerService.LiveConfig;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomerService.Bot;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNats();
        builder.AddRedisClient("redis");
        builder.AddBot();
    }

    /// <summary>The bot: knowledge from live configuration (configuration as the fallback), the engine, the configured predictor and the NATS inbox worker.</summary>
    public static void AddBot(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BotOptions>().BindConfiguration(BotOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<BotOptions>, BotOptionsValidator>();
        services.AddOptions<FaqPredictorOptions>().BindConfiguration(FaqPredictorOptions.SectionName);
        services.AddOptions<OpenAiOptions>().BindConfiguration(OpenAiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // Knowledge from live configuration (bot_rules, faq, tenant_settings streamed from Admin), with the
        // configuration section Bot:Tenants as the fallback for tenants Admin has none of the three for.
        builder.AddLiveConfig(ConfigSections.BotRules, ConfigSections.Faq, ConfigSections.TenantSettings);
        services.AddSingleton<BotKnowledgeStore>();
        services.AddSingleton<LiveBotKnowledge>();
        services.AddSingleton<IBotKnowledge>(sp => sp.GetRequiredService<LiveBotKnowledge>());
        services.AddHostedService<ConfiguredBotKnowledge>();

        services.AddSingleton<FaqRetrievalPredictor>();
        if (builder.Configuration.GetSection(OpenAiOptions.SectionName).Get<OpenAiOptions>() is { IsConfigured: true })
        {
#pragma warning disable EXTEXP0001 // the predictor has its own timeout and circuit breaker; the default retries would fight them
            services.AddHttpClient(OpenAiChatPredictor.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
            services.AddSingleton<OpenAiChatPredictor>();
            services.TryAddSingleton<IReplyPredictor>(sp => sp.GetRequiredService<OpenAiChatPredictor>());
        }
        else
        {
            services.TryAddSingleton<IReplyPredictor>(sp => sp.GetRequiredService<FaqRetrievalPredictor>());
        }

        services.AddSingleton<IUnansweredTurns, RedisUnansweredTurns>();
        services.AddSingleton<BotEngine>();
        services.AddSingleton<BotMetrics>();
        services.AddSingleton<ConversationContextLoader>();
        services.AddSingleton<SessionCommands>();
        services.AddSingleton<BotInboxWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<BotInboxWorker>());
        services.AddHealthChecks().AddCheck<BotInboxHealthCheck>("bot-inbox", tags: ["ready"]);
    }
}
