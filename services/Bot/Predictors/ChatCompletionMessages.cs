using System.Text.Json.Serialization;

namespace CustomerService.Bot.Predictors;

// The subset of the OpenAI chat-completions wire format the bot uses.

internal sealed record ChatCompletionRequest(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("messages")] IReadOnlyList<ChatCompletionMessage> Messages,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("max_tokens")] int MaxTokens);

internal sealed record ChatCompletionMessage(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string? Content);

internal sealed record ChatCompletionResponse(
    [property: JsonPropertyName("choices")] IReadOnlyList<ChatCompletionChoice>? Choices);

internal sealed record ChatCompletionChoice(
    [property: JsonPropertyName("message")] ChatCompletionMessage? Message);

/// <summary>The JSON object the prompt asks the model to reply with.</summary>
internal sealed record ModelAnswer(
    [property: JsonPropertyName("answer")] string? Answer,
    [property: JsonPropertyName("confidence")] double? Confidence);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ModelAnswer))]
internal sealed partial class ChatCompletionJson : JsonSerializerContext;
