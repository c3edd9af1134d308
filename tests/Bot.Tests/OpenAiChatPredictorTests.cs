using CustomerService.Bot.Conversations;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Predictors;
using CustomerService.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using static CustomerService.Bot.Tests.SampleKnowledge;

namespace CustomerService.Bot.Tests;

[Collection(ServersCollection.Name)]
public sealed class OpenAiChatPredictorTests(Servers servers) : IAsyncLifetime
{
    private FakeModelEndpoint _model = null!;
    private readonly BotKnowledgeStore _knowledge = new();
    private readonly ServiceProvider _http = new ServiceCollection().AddHttpClient().BuildServiceProvider();

    public async Task InitializeAsync()
    {
        _model = await FakeModelEndpoint.StartAsync();
        _knowledge.Replace("acme", English);
    }

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        await _http.DisposeAsync();
    }

    [Fact]
    public async Task Answers_with_the_models_reply_and_confidence_grounded_on_faq_and_conversation()
    {
        _model.Behaviour = FakeModelEndpoint.Reply("""{"answer": "Shipping is free over $50.", "confidence": 0.92}""");
        var predictor = Predictor(new OpenAiOptions { ApiKey = "sk-test", Model = "local-model" });
        ChatMessage[] recent =
        [
            Message("m1", ParticipantKind.Customer, "hi there"),
            Message("m2", ParticipantKind.Bot, "Hi! What can I do for you?"),
            Message("m3", ParticipantKind.Customer, "is shipping free?"),
        ];

        var prediction = await predictor.PredictAsync(Request("is shipping free?", recent, messageId: "m3"), CancellationToken.None);

        Assert.Equal(PredictionOutcome.Answered, prediction.Outcome);
        Assert.Equal("Shipping is free over $50.", prediction.Answer);
        Assert.Equal(0.92, prediction.Confidence, 3);
        Assert.Equal("openai", prediction.Source);

        var (authorization, body) = Assert.Single(_model.Received);
        Assert.Equal("Bearer sk-test", authorization);
        Assert.Equal("local-model", body.RootElement.GetProperty("model").GetString());
        var messages = body.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (Role: m.GetProperty("role").GetString(), Content: m.GetProperty("content").GetString()!)).ToArray();
        Assert.Equal(["system", "user", "assistant", "user"], messages.Select(m => m.Role));
        Assert.Contains("How much does shipping cost?", messages[0].Content);     // the closest FAQ entry is in the prompt
        Assert.Contains("Li Lei (vip)", messages[0].Content);                      // and the customer's profile
        Assert.Equal("is shipping free?", messages[^1].Content);                   // the question once, last
    }

    [Fact]
    public async Task A_model_that_says_the_faq_does_not_cover_it_declines()
    {
        _model.Behaviour = FakeModelEndpoint.Reply("```json\n{\"answer\": null, \"confidence\": 0}\n```");
        var prediction = await Predictor(new OpenAiOptions()).PredictAsync(Request("tell me a joke"), CancellationToken.None);

        Assert.Equal(PredictionOutcome.Declined, prediction.Outcome);
    }

    [Fact]
    public async Task A_model_that_ignores_the_format_is_taken_at_the_assumed_confidence()
    {
        _model.Behaviour = FakeModelEndpoint.Reply("Orders arrive in 3-5 business days.");
        var prediction = await Predictor(new OpenAiOptions { AssumedConfidence = 0.66 }).PredictAsync(Request("when does it arrive"), CancellationToken.None);

        Assert.Equal("Orders arrive in 3-5 business days.", prediction.Answer);
        Assert.Equal(0.66, prediction.Confidence, 3);
    }

    [Fact]
    public async Task A_model_that_does_not_answer_in_time_falls_back_to_the_faq()
    {
        _model.Behaviour = FakeModelEndpoint.Hang();
        var predictor = Predictor(new OpenAiOptions { Timeout = TimeSpan.FromMilliseconds(300) }, TimeProvider.System);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var prediction = await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(3), $"took {started.Elapsed}");
        Assert.Equal(PredictionOutcome.Answered, prediction.Outcome);
        Assert.Equal("faq", prediction.Source);
        Assert.Equal("shipping-cost", prediction.Reference);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(401)]
    public async Task A_failing_model_falls_back_to_the_faq(int status)
    {
        _model.Behaviour = FakeModelEndpoint.Fail(status);
        var prediction = await Predictor(new OpenAiOptions()).PredictAsync(Request("how do I reset my password"), CancellationToken.None);

        Assert.Equal("faq", prediction.Source);
        Assert.Equal("password", prediction.Reference);
    }

    [Fact]
    public async Task A_failing_model_with_nothing_in_the_faq_is_unavailable()
    {
        _model.Behaviour = FakeModelEndpoint.Fail(503);

        var unrelated = await Predictor(new OpenAiOptions()).PredictAsync(Request("tell me a joke"), CancellationToken.None);
        var noFallback = await Predictor(new OpenAiOptions { FallbackToFaq = false }).PredictAsync(Request("is shipping free?"), CancellationToken.None);

        Assert.Equal(PredictionOutcome.Unavailable, unrelated.Outcome);
        Assert.Equal(PredictionOutcome.Unavailable, noFallback.Outcome);
    }

    [Fact]
    public async Task The_engine_hands_off_when_the_model_fails_and_the_faq_cannot_answer()
    {
        _model.Behaviour = FakeModelEndpoint.Hang();
        var predictor = Predictor(new OpenAiOptions { Timeout = TimeSpan.FromMilliseconds(200) }, TimeProvider.System);
        var clock = new Clock(DateTimeOffset.Parse("2026-01-05T18:00:00Z"));   // Monday morning in Los Angeles
        var engine = new BotEngine(_knowledge, predictor,
            new RedisUnansweredTurns(servers.RedisConnection, Options.Create(new BotOptions())), clock, NullLogger<BotEngine>.Instance);

        var answered = await engine.HandleAsync(Turn("is shipping free?"), CancellationToken.None);
        var handedOff = await engine.HandleAsync(Turn("tell me a joke"), CancellationToken.None);

        Assert.Equal("faq", Assert.Single(answered.Replies).Source);
        Assert.Null(answered.Handoff);
        Assert.Equal(HandoffReasons.LowConfidence, handedOff.Handoff?.Reason);
    }

    [Fact]
    public async Task The_circuit_opens_after_failures_and_closes_when_the_model_recovers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-05T18:00:00Z"));
        var predictor = Predictor(new OpenAiOptions
        {
            Circuit = new OpenAiOptions.CircuitOptions { FailureRatio = 0.5, MinimumThroughput = 2, SamplingDuration = TimeSpan.FromSeconds(30), BreakDuration = TimeSpan.FromSeconds(20) },
        }, time);
        _model.Behaviour = FakeModelEndpoint.Fail(500);

        await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);
        await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);
        Assert.Equal(CircuitState.Open, predictor.Circuit);

        // While open, the model is not called at all and the FAQ answers.
        var whileOpen = await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);
        Assert.Equal(2, _model.Requests);
        Assert.Equal("faq", whileOpen.Source);

        _model.Behaviour = FakeModelEndpoint.Reply("""{"answer": "Free over $50.", "confidence": 0.9}""");
        time.Advance(TimeSpan.FromSeconds(10));
        await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);
        Assert.Equal(2, _model.Requests);   // still within the break

        time.Advance(TimeSpan.FromSeconds(11));
        var probe = await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);
        Assert.Equal("openai", probe.Source);
        Assert.Equal(CircuitState.Closed, predictor.Circuit);
        var after = await predictor.PredictAsync(Request("is shipping free?"), CancellationToken.None);
        Assert.Equal("openai", after.Source);
        Assert.Equal(4, _model.Requests);
    }

    private OpenAiChatPredictor Predictor(OpenAiOptions options, TimeProvider? time = null)
    {
        options.Endpoint = _model.BaseUrl;
        return new OpenAiChatPredictor(_http.GetRequiredService<IHttpClientFactory>(), Options.Create(options),
            new FaqRetrievalPredictor(Options.Create(new FaqPredictorOptions()), _knowledge),
            time ?? new FakeTimeProvider(), NullLogger<OpenAiChatPredictor>.Instance);
    }

    private static PredictionRequest Request(string text, IReadOnlyList<ChatMessage>? recent = null, string messageId = "current") => new()
    {
        TenantId = "acme",
        Message = Message(messageId, ParticipantKind.Customer, text),
        Language = "en",
        RecentMessages = recent ?? [],
        Customer = new CustomerContext { Profile = new CustomerProfile { CustomerId = "c1", Name = "Li Lei", Tier = "vip" } },
        Faq = EnglishFaq,
    };

    private static BotTurn Turn(string text) => new()
    {
        TenantId = "acme",
        Message = Message(Guid.NewGuid().ToString("N"), ParticipantKind.Customer, text, "conv-" + Guid.NewGuid().ToString("N")),
    };

    private static ChatMessage Message(string id, ParticipantKind kind, string text, string conversation = "conv-1") => new()
    {
        MessageId = id,
        TenantId = "acme",
        ConversationId = conversation,
        Sender = new Participant { Kind = kind, Id = kind.ToString() },
        Text = text,
    };
}
