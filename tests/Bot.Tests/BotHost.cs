using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomerService.Bot.Tests;

/// <summary>The Bot service as it runs (its own wiring, real NATS and Redis), on a clock the test sets.</summary>
internal sealed class BotHost : IAsyncDisposable
{
    // Monday 5 January 2026, 10:00 in Los Angeles; 02:00 Tuesday in Shanghai.
    public static readonly DateTimeOffset LosAngelesMorning = DateTimeOffset.Parse("2026-01-05T18:00:00Z");

    private BotHost(IHost host, Clock clock)
    {
        Host = host;
        Clock = clock;
    }

    public IHost Host { get; }
    public Clock Clock { get; }
    public IServiceProvider Services => Host.Services;
    public BotKnowledgeStore Knowledge => Services.GetRequiredService<BotKnowledgeStore>();

    public static async Task<BotHost> StartAsync(Servers servers, Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:nats"] = servers.Nats.Url,
            ["ConnectionStrings:redis"] = servers.Redis.ConnectionString,
            ["Bot:Lanes"] = "8",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var clock = new Clock(LosAngelesMorning);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.AddApplicationServices();
        configure?.Invoke(builder.Services);

        var host = builder.Build();
        var bot = new BotHost(host, clock);
        bot.Knowledge.Replace("acme", SampleKnowledge.English);
        bot.Knowledge.Replace("shop-cn", SampleKnowledge.Chinese);
        await host.StartAsync();
        await host.Services.GetRequiredService<BotInboxWorker>().Subscribed.WaitAsync(TimeSpan.FromSeconds(15));
        return bot;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
