using System.Runtime.CompilerServices;
using CustomerService.Bot.Knowledge;
using Microsoft.Extensions.Options;

namespace CustomerService.Bot.Predictors;

public sealed class FaqPredictorOptions
{
    public const string SectionName = "Bot:Faq";

    /// <summary>Below this confidence the predictor declines instead of offering a doubtful candidate.</summary>
    public double RelevanceFloor { get; set; } = 0.15;

    /// <summary>How much a close runner-up lowers the confidence: 0 ignores it, 1 makes a tie worth nothing.</summary>
    public double MarginWeight { get; set; } = 0.4;
}

/// <summary>
/// The default predictor: BM25 retrieval over the tenant's FAQ (<see cref="FaqIndex"/>), local and fast. Its
/// confidence combines how much of the question and of the FAQ wording overlap (idf-weighted, so rare words count
/// more and words the FAQ never uses count against) with the margin over the next-best entry (two entries that
/// match equally well mean the bot cannot tell which one the customer meant).
/// </summary>
public sealed class FaqRetrievalPredictor : IReplyPredictor
{
    public const string SourceName = "faq";

    // One index per FAQ snapshot: a new snapshot (a configuration change) gets a new index, the old one is collected.
    private readonly ConditionalWeakTable<IReadOnlyList<FaqEntry>, FaqIndex> _indexes = new();
    private readonly FaqPredictorOptions _options;

    public FaqRetrievalPredictor(IOptions<FaqPredictorOptions> options, IBotKnowledge knowledge)
    {
        _options = options.Value;
        // Build a changed FAQ's index when it arrives rather than on the next customer's message.
        knowledge.Changed += tenant => IndexFor(knowledge.For(tenant).Faq);
    }

    public ValueTask<Prediction> PredictAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        var index = IndexFor(request.Faq);
        Span<FaqHit> hits = stackalloc FaqHit[2];
        var found = index.Search(request.Text, hits);
        if (found == 0) return ValueTask.FromResult(Prediction.Declined(SourceName));

        var confidence = Confidence(hits[..found]);
        if (confidence < _options.RelevanceFloor) return ValueTask.FromResult(Prediction.Declined(SourceName));

        var entry = index.Entries[hits[0].Entry];
        return ValueTask.FromResult(Prediction.Answered(entry.Answer, confidence, SourceName, entry.Id, entry.QuickReplies));
    }

    /// <summary>The FAQ entries closest to a question, best first: context for a generative model.</summary>
    public IReadOnlyList<FaqEntry> Closest(IReadOnlyList<FaqEntry> faq, string question, int count)
    {
        var index = IndexFor(faq);
        var hits = new FaqHit[count];
        var found = index.Search(question, hits);
        var entries = new FaqEntry[found];
        for (var i = 0; i < found; i++) entries[i] = index.Entries[hits[i].Entry];
        return entries;
    }

    internal FaqIndex IndexFor(IReadOnlyList<FaqEntry> faq) => _indexes.GetValue(faq, FaqIndex.Build);

    private double Confidence(ReadOnlySpan<FaqHit> hits)
    {
        var best = hits[0];
        var margin = hits.Length > 1 ? (best.Score - hits[1].Score) / best.Score : 1f;
        return best.Similarity * (1 - _options.MarginWeight * (1 - margin));
    }
}
