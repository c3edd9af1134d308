using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CustomerService.Bot.Predictors;

/// <summary>
/// Asks an OpenAI-compatible chat model, grounded on the FAQ entries closest to the question and the conversation's
/// latest messages. Each call is bounded by a timeout; repeated failures open a circuit so a dead endpoint costs
/// nothing while it is down; whatever fails falls back to the FAQ model, and when that has no answer the
/// prediction is <see cref="PredictionOutcome.Unavailable"/> and the engine hands the customer to a human.
/// </summary>
public sealed partial class OpenAiChatPredictor : IReplyPredictor
{
    public const string SourceName = "openai";
    public const string HttpClientName = "openai";

    private const string Instructions =
        "You are a customer-service assistant. Answer the customer's last message using only the FAQ below and the " +
        "conversation so far, in the customer's language, briefly and politely. Reply with one JSON object and nothing " +
        "else: {\"answer\": \"<your reply>\", \"confidence\": <0 to 1, how sure you are the FAQ answers it>}. When the " +
        "FAQ does not cover the question, reply {\"answer\": null, \"confidence\": 0}.";

    private readonly IHttpClientFactory _httpClients;
    private readonly OpenAiOptions _options;
    private readonly FaqRetrievalPredictor _faq;
    private readonly ILogger<OpenAiChatPredictor> _logger;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly ResiliencePipeline _pipeline;

    public OpenAiChatPredictor(IHttpClientFactory httpClients, IOptions<OpenAiOptions> options, FaqRetrievalPredictor faq,
        TimeProvider time, ILogger<OpenAiChatPredictor> logger)
    {
        _httpClients = httpClients;
        _options = options.Value;
        _faq = faq;
        _logger = logger;
        // The timeout sits inside the breaker, so a model that hangs counts as failing.
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = _options.Circuit.FailureRatio,
                MinimumThroughput = _options.Circuit.MinimumThroughput,
                SamplingDuration = _options.Circuit.SamplingDuration,
                BreakDuration = _options.Circuit.BreakDuration,
                StateProvider = _circuit,
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<ModelReplyException>(),
                OnOpened = args =>
                {
                    LogCircuitOpened(_logger, _options.CompletionsUri, args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    LogCircuitClosed(_logger, _options.CompletionsUri);
                    return default;
                },
            })
            .AddTimeout(_options.Timeout)
            .Build();
    }

    /// <summary>Closed while the endpoint answers; open (calls skipped) after failures; half-open while one call probes it.</summary>
    public CircuitState Circuit => _circuit.CircuitState;

    public async ValueTask<Prediction> PredictAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                static (state, token) => state.Self.AskModelAsync(state.Request, token), (Self: this, Request: request), cancellationToken);
        }
        catch (Exception ex) when (ex is BrokenCircuitException or TimeoutRejectedException or HttpRequestException or ModelReplyException
                                   && !cancellationToken.IsCancellationRequested)
        {
            LogModelFailed(_logger, request.TenantId, request.ConversationId, ex.GetType().Name, ex.Message);
            return await FallBackAsync(request, cancellationToken);
        }
    }

    private async ValueTask<Prediction> FallBackAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        if (!_options.FallbackToFaq) return Prediction.Unavailable(SourceName);
        var prediction = await _faq.PredictAsync(request, cancellationToken);
        return prediction.Outcome == PredictionOutcome.Answered ? prediction : Prediction.Unavailable(SourceName);
    }

    private async ValueTask<Prediction> AskModelAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        var http = _httpClients.CreateClient(HttpClientName);
        using var message = new HttpRequestMessage(HttpMethod.Post, _options.CompletionsUri)
        {
            Content = JsonContent.Create(BuildRequest(request), ChatCompletionJson.Default.ChatCompletionRequest),
        };
        if (!string.IsNullOrEmpty(_options.ApiKey)) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);

        using var response = await http.SendAsync(message, cancellationToken);
        response.EnsureSuccessStatusCode();
        ChatCompletionResponse? completion;
        try
        {
            completion = await response.Content.ReadFromJsonAsync(ChatCompletionJson.Default.ChatCompletionResponse, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new ModelReplyException("the endpoint's reply is not a chat completion", ex);
        }
        var content = completion?.Choices is [{ Message.Content: { } text }, ..] ? text : null;
        if (content is null) throw new ModelReplyException("the chat completion has no message");
        return Interpret(content);
    }

    private Prediction Interpret(string content)
    {
        var reply = StripCodeFence(content.Trim());
        if (reply.StartsWith('{'))
        {
            try
            {
                var answer = JsonSerializer.Deserialize(reply, ChatCompletionJson.Default.ModelAnswer);
                if (answer is null || string.IsNullOrWhiteSpace(answer.Answer)) return Prediction.Declined(SourceName);
                return Prediction.Answered(answer.Answer.Trim(), answer.Confidence ?? _options.AssumedConfidence, SourceName, _options.Model);
            }
            catch (JsonException)
            {
                // Not the object we asked for after all: take the text as the answer.
            }
        }
        return reply.Length == 0 ? Prediction.Declined(SourceName) : Prediction.Answered(reply, _options.AssumedConfidence, SourceName, _options.Model);
    }

    private static string StripCodeFence(string text)
    {
        if (!text.StartsWith("```", StringComparison.Ordinal)) return text;
        var firstLine = text.IndexOf('\n');
        var end = text.LastIndexOf("```", StringComparison.Ordinal);
        return firstLine < 0 || end <= firstLine ? text : text[(firstLine + 1)..end].Trim();
    }

    private ChatCompletionRequest BuildRequest(PredictionRequest request)
    {
        var system = new StringBuilder(Instructions);
        var faq = _options.FaqContextEntries == 0 ? [] : _faq.Closest(request.Faq, request.Text, _options.FaqContextEntries);
        system.Append("\n\nFAQ:");
        foreach (var entry in faq) system.Append("\nQ: ").Append(entry.Question).Append("\nA: ").Append(entry.Answer);
        if (faq.Count == 0) system.Append(" (none)");
        if (request.Customer?.Profile is { } profile)
        {
            system.Append("\n\nCustomer: ").Append(profile.Name);
            if (profile.Tier.Length > 0) system.Append(" (").Append(profile.Tier).Append(')');
        }
        if (request.Language.Length > 0) system.Append("\nCustomer's language: ").Append(request.Language);

        var messages = new List<ChatCompletionMessage>(request.RecentMessages.Count + 2) { new("system", system.ToString()) };
        foreach (var earlier in request.RecentMessages)
        {
            if (earlier.MessageId == request.Message.MessageId) continue;
            var role = earlier.Sender?.Kind switch
            {
                ParticipantKind.Customer => "user",
                ParticipantKind.Bot or ParticipantKind.Agent => "assistant",
                _ => null,
            };
            if (role is not null && earlier.Text.Length > 0) messages.Add(new ChatCompletionMessage(role, earlier.Text));
        }
        messages.Add(new ChatCompletionMessage("user", request.Text));
        return new ChatCompletionRequest(_options.Model, messages, _options.Temperature, _options.MaxTokens);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model endpoint failed for {TenantId}/{ConversationId} ({Error}: {Reason}); falling back")]
    private static partial void LogModelFailed(ILogger logger, string tenantId, string conversationId, string error, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Circuit to model endpoint {Endpoint} opened for {BreakDuration}")]
    private static partial void LogCircuitOpened(ILogger logger, Uri endpoint, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit to model endpoint {Endpoint} closed")]
    private static partial void LogCircuitClosed(ILogger logger, Uri endpoint);
}

/// <summary>The model endpoint answered with something that is not a usable chat completion.</summary>
public sealed class ModelReplyException(string message, Exception? inner = null) : Exception(message, inner);
