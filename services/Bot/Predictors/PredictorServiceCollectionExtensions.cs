using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomerService.Bot.Predictors;

public static class PredictorServiceCollectionExtensions
{
    /// <summary>
    /// Makes <typeparamref name="TPredictor"/> the bot's predictor in place of the configured one (a singleton: it
    /// may hold connections, caches and circuit state). It can take any registered service, including
    /// <see cref="FaqRetrievalPredictor"/> to fall back on.
    /// </summary>
    public static IServiceCollection AddReplyPredictor<TPredictor>(this IServiceCollection services) where TPredictor : class, IReplyPredictor
    {
        services.RemoveAll<IReplyPredictor>();
        services.AddSingleton<IReplyPredictor, TPredictor>();
        return services;
    }
}
