using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Predictors;
using CustomerService.Contracts;
using Microsoft.Extensions.Options;
using static CustomerService.Bot.Tests.SampleKnowledge;

namespace CustomerService.Bot.Tests;

public class FaqRetrievalPredictorTests
{
    private const double Threshold = 0.4;   // the tenants' default confidence threshold
    private readonly FaqRetrievalPredictor _predictor = new(Options.Create(new FaqPredictorOptions()), new BotKnowledgeStore());

    [Theory]
    [InlineData("how many days does delivery take", "shipping-time")]
    [InlineData("is shipping free?", "shipping-cost")]
    [InlineData("how do i return my shoes", "returns")]
    [InlineData("where's my parcel", "tracking")]
    [InlineData("forgot my password", "password")]
    [InlineData("can I cancel my order please", "cancel-order")]
    [InlineData("my refund hasn't arrived yet, how long does it take", "refund-time")]
    [InlineData("I typed the wrong address", "change-address")]
    [InlineData("is there a guarantee on the blender", "warranty")]
    public async Task Answers_English_paraphrases_above_the_threshold(string question, string entry)
    {
        var prediction = await PredictAsync(EnglishFaq, question);

        Assert.Equal(PredictionOutcome.Answered, prediction.Outcome);
        Assert.Equal(entry, prediction.Reference);
        Assert.InRange(prediction.Confidence, Threshold, 1);
        Assert.Equal(EnglishFaq.Single(e => e.Id == entry).Answer, prediction.Answer);
    }

    [Theory]
    [InlineData("我想退货，怎么弄", "returns")]
    [InlineData("退款一般几天能到账", "refund-time")]
    [InlineData("订单地址写错了能改吗", "change-address")]
    [InlineData("你们开发票吗", "invoice")]
    [InlineData("快递到哪里了", "tracking")]
    [InlineData("满多少包邮", "shipping-fee")]
    public async Task Answers_Chinese_paraphrases_above_the_threshold(string question, string entry)
    {
        var prediction = await PredictAsync(ChineseFaq, question);

        Assert.Equal(PredictionOutcome.Answered, prediction.Outcome);
        Assert.Equal(entry, prediction.Reference);
        Assert.InRange(prediction.Confidence, Threshold, 1);
    }

    [Theory]
    [InlineData("what's the weather like in paris tomorrow")]
    [InlineData("tell me a joke")]
    [InlineData("who won the football game yesterday")]
    [InlineData("thanks")]
    public async Task Declines_unrelated_English_questions(string question)
    {
        Assert.Equal(PredictionOutcome.Declined, (await PredictAsync(EnglishFaq, question)).Outcome);
    }

    [Theory]
    [InlineData("今天天气怎么样")]
    [InlineData("给我讲个笑话")]
    [InlineData("股票明天会涨吗")]
    [InlineData("你喜欢看电影吗")]
    public async Task Declines_unrelated_Chinese_questions(string question)
    {
        Assert.Equal(PredictionOutcome.Declined, (await PredictAsync(ChineseFaq, question)).Outcome);
    }

    [Fact]
    public async Task An_exact_question_is_near_certain_and_a_vague_one_is_not()
    {
        var exact = await PredictAsync(EnglishFaq, "How do I reset my password?");
        var vague = await PredictAsync(EnglishFaq, "order");

        Assert.True(exact.Confidence > 0.9, $"exact question: {exact.Confidence}");
        Assert.True(vague.Confidence < Threshold, $"a single common word: {vague.Confidence}");
    }

    [Fact]
    public async Task Two_entries_that_match_equally_well_lower_the_confidence()
    {
        IReadOnlyList<FaqEntry> alone = [Faq("a", "How do I reset my password?", "Use the reset link.")];
        IReadOnlyList<FaqEntry> twins = [.. alone, Faq("b", "How do I reset my password?", "Call us.")];

        var clear = await PredictAsync(alone, "reset my password");
        var ambiguous = await PredictAsync(twins, "reset my password");

        Assert.True(ambiguous.Confidence < clear.Confidence * 0.7, $"clear {clear.Confidence}, ambiguous {ambiguous.Confidence}");
    }

    [Fact]
    public async Task A_new_faq_snapshot_gets_a_new_index()
    {
        IReadOnlyList<FaqEntry> before = [Faq("gift", "Do you sell gift cards?", "Yes, from $10.")];
        IReadOnlyList<FaqEntry> after = [Faq("gift", "Do you sell gift cards?", "Yes, from $25.")];

        Assert.Equal("Yes, from $10.", (await PredictAsync(before, "gift cards?")).Answer);
        Assert.Equal("Yes, from $25.", (await PredictAsync(after, "gift cards?")).Answer);
    }

    [Fact]
    public async Task An_empty_faq_declines()
    {
        Assert.Equal(PredictionOutcome.Declined, (await PredictAsync([], "how long does shipping take")).Outcome);
    }

    private ValueTask<Prediction> PredictAsync(IReadOnlyList<FaqEntry> faq, string question) =>
        _predictor.PredictAsync(new PredictionRequest { TenantId = "t", Message = new ChatMessage { Text = question }, Faq = faq }, CancellationToken.None);
}
