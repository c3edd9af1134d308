using System.ComponentModel.DataAnnotations;

namespace CustomerService.Bot.Predictors;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint (OpenAI, Azure-compatible gateways, vLLM, Ollama, llama.cpp ...):
/// configuring <see cref="Endpoint"/> makes <see cref="OpenAiChatPredictor"/> the bot's predictor.
/// </summary>
public sealed class OpenAiOptions
{
    public const string SectionName = "Bot:OpenAi";

    /// <summary>The API base (e.g. http://127.0.0.1:11434/v1) or the full /v1/chat/completions address.</summary>
    public string Endpoint { get; set; } = "";
    public string ApiKey { get; set; } = "";
    public string Model { get; set; } = "";

    /// <summary>How long one answer may take before the bot stops waiting and falls back.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    [Range(0.0, 2.0)]
    public double Temperature { get; set; } = 0.2;
    [Range(16, 8192)]
    public int MaxTokens { get; set; } = 400;

    /// <summary>The confidence given to a reply that does not state one (a model that ignored the JSON format).</summary>
    [Range(0.0, 1.0)]
    public double AssumedConfidence { get; set; } = 0.7;

    /// <summary>How many of the closest FAQ entries go into the prompt.</summary>
    [Range(0, 50)]
    public int FaqContextEntries { get; set; } = 5;

    /// <summary>Answer from the FAQ model while the endpoint fails; when off (or the FAQ has nothing), the bot hands off.</summary>
    public bool FallbackToFaq { get; set; } = true;

    public CircuitOptions Circuit { get; set; } = new();

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Endpoint);

    public Uri CompletionsUri
    {
        get
        {
            var address = Endpoint.TrimEnd('/');
            return new Uri(address.EndsWith("/chat/completions", StringComparison.OrdinalIgnoreCase) ? address : address + "/chat/completions");
        }
    }

    /// <summary>The circuit breaker: after enough failures the endpoint is left alone for <see cref="BreakDuration"/>.</summary>
    public sealed class CircuitOptions
    {
        [Range(0.01, 1.0)]
        public double FailureRatio { get; set; } = 0.5;
        [Range(2, 1000)]
        public int MinimumThroughput { get; set; } = 4;
        [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
        public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
        [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
        public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
    }
}
