using System.Buffers;
using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Text;

namespace CustomerService.Bot.Predictors;

/// <summary>One FAQ entry found for a question: its BM25 score and how much of the question and of the entry's best-matching wording overlap.</summary>
internal readonly record struct FaqHit(int Entry, float Score, float Similarity);

/// <summary>
/// A BM25 index over a tenant's FAQ. Every wording of an entry (its question and alternates) is a document; an
/// entry scores as its best wording. Term rarity (idf) is counted over entries, so a word that an entry repeats in
/// all its alternates is not made common by it. Built once per FAQ snapshot; searching allocates nothing but
/// pooled arrays.
/// </summary>
internal sealed class FaqIndex
{
    private const float K1 = 1.2f;
    private const float B = 0.75f;
    private const int MaxQueryTerms = 128;

    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _terms;
    private readonly float[] _idf;
    private readonly Posting[][] _postings;
    private readonly int[] _documentEntry;
    private readonly float[] _documentLengthNorm;
    private readonly float[] _documentIdfMass;
    private readonly float _unknownTermIdf;

    private FaqIndex(IReadOnlyList<FaqEntry> entries, Dictionary<string, int> vocabulary, float[] idf, Posting[][] postings,
        int[] documentEntry, float[] documentLengthNorm, float[] documentIdfMass, float unknownTermIdf)
    {
        Entries = entries;
        _vocabulary = vocabulary;
        _terms = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _idf = idf;
        _postings = postings;
        _documentEntry = documentEntry;
        _documentLengthNorm = documentLengthNorm;
        _documentIdfMass = documentIdfMass;
        _unknownTermIdf = unknownTermIdf;
    }

    public IReadOnlyList<FaqEntry> Entries { get; }

    public static FaqIndex Build(IReadOnlyList<FaqEntry> entries)
    {
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var postings = new List<List<Posting>>();
        var entryFrequency = new List<int>();
        var documentEntry = new List<int>();
        var documentLength = new List<int>();
        var documentTerms = new List<int[]>();
        var counts = new Dictionary<int, int>();
        var entryTerms = new HashSet<int>();

        for (var entry = 0; entry < entries.Count; entry++)
        {
            entryTerms.Clear();
            foreach (var wording in Wordings(entries[entry]))
            {
                counts.Clear();
                var sink = new IndexSink(vocabulary, counts);
                SearchTokenizer.Tokenize(wording, ref sink);
                if (counts.Count == 0) continue;

                var document = documentEntry.Count;
                documentEntry.Add(entry);
                documentLength.Add(sink.Length);
                documentTerms.Add([.. counts.Keys]);
                foreach (var (term, frequency) in counts)
                {
                    while (postings.Count <= term) { postings.Add([]); entryFrequency.Add(0); }
                    postings[term].Add(new Posting(document, frequency));
                    if (entryTerms.Add(term)) entryFrequency[term]++;
                }
            }
        }

        var n = entries.Count;
        var idf = new float[postings.Count];
        for (var term = 0; term < idf.Length; term++) idf[term] = Idf(n, entryFrequency[term]);

        var averageLength = documentLength.Count == 0 ? 1f : (float)documentLength.Average();
        var lengthNorm = documentLength.Select(length => K1 * (1 - B + B * length / averageLength)).ToArray();
        var idfMass = documentTerms.Select(terms => terms.Sum(t => idf[t])).ToArray();

        // A question word the FAQ never uses is as telling as the rarest word it does use: it counts against the
        // question's coverage with that weight.
        return new FaqIndex(entries, vocabulary, idf, postings.Select(p => p.ToArray()).ToArray(), documentEntry.ToArray(),
            lengthNorm, idfMass, 0.5f * Idf(n, 1));
    }

    /// <summary>Fills <paramref name="hits"/> with the best entries, best first; returns how many were found.</summary>
    public int Search(ReadOnlySpan<char> question, Span<FaqHit> hits)
    {
        if (hits.IsEmpty || _documentEntry.Length == 0) return 0;

        Span<int> known = stackalloc int[MaxQueryTerms];
        Span<int> unknown = stackalloc int[MaxQueryTerms];
        var sink = new QuerySink(_terms, known, unknown);
        SearchTokenizer.Tokenize(question, ref sink);
        if (sink.KnownCount == 0) return 0;

        var questionMass = sink.UnknownCount * _unknownTermIdf;
        var documents = _documentEntry.Length;
        var scores = ArrayPool<float>.Shared.Rent(documents);
        var matchedMass = ArrayPool<float>.Shared.Rent(documents);
        try
        {
            Array.Clear(scores, 0, documents);
            Array.Clear(matchedMass, 0, documents);
            foreach (var term in known[..sink.KnownCount])
            {
                var idf = _idf[term];
                questionMass += idf;
                foreach (var posting in _postings[term])
                {
                    float tf = posting.Frequency;
                    scores[posting.Document] += idf * tf * (K1 + 1) / (tf + _documentLengthNorm[posting.Document]);
                    matchedMass[posting.Document] += idf;
                }
            }
            return Rank(scores, matchedMass, questionMass, hits);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(matchedMass);
        }
    }

    // Keeps the best wording of each entry and the top entries by score (insertion into a short sorted span).
    private int Rank(float[] scores, float[] matchedMass, float questionMass, Span<FaqHit> hits)
    {
        var found = 0;
        var document = 0;
        while (document < _documentEntry.Length)
        {
            var entry = _documentEntry[document];
            var best = document;
            for (document++; document < _documentEntry.Length && _documentEntry[document] == entry; document++)
            {
                if (scores[document] > scores[best]) best = document;
            }
            var score = scores[best];
            if (score <= 0) continue;

            var questionCoverage = matchedMass[best] / questionMass;
            var wordingCoverage = matchedMass[best] / _documentIdfMass[best];
            var hit = new FaqHit(entry, score, MathF.Sqrt(questionCoverage * wordingCoverage));

            int at;
            if (found < hits.Length) at = found++;
            else if (score > hits[^1].Score) at = hits.Length - 1;
            else continue;
            for (; at > 0 && hits[at - 1].Score < score; at--) hits[at] = hits[at - 1];
            hits[at] = hit;
        }
        return found;
    }

    private static float Idf(int entries, int entryFrequency) =>
        MathF.Log(1 + (entries - entryFrequency + 0.5f) / (entryFrequency + 0.5f));

    private static IEnumerable<string> Wordings(FaqEntry entry)
    {
        yield return entry.Question;
        foreach (var alternate in entry.Alternates) yield return alternate;
    }

    private readonly record struct Posting(int Document, int Frequency);

    private struct IndexSink(Dictionary<string, int> vocabulary, Dictionary<int, int> counts) : ITokenSink
    {
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();

        public int Length { get; private set; }

        public void Add(scoped ReadOnlySpan<char> token)
        {
            if (!_lookup.TryGetValue(token, out var term))
            {
                term = vocabulary.Count;
                vocabulary.Add(token.ToString(), term);
            }
            counts[term] = counts.GetValueOrDefault(term) + 1;
            Length++;
        }
    }

    // Distinct terms of a question: ids of those the FAQ knows, hashes of those it does not.
    private ref struct QuerySink(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> terms, Span<int> known, Span<int> unknown) : ITokenSink
    {
        private readonly Span<int> _known = known;
        private readonly Span<int> _unknown = unknown;

        public int KnownCount { get; private set; }
        public int UnknownCount { get; private set; }

        public void Add(scoped ReadOnlySpan<char> token)
        {
            if (terms.TryGetValue(token, out var term))
            {
                if (KnownCount < _known.Length && !_known[..KnownCount].Contains(term)) _known[KnownCount++] = term;
                return;
            }
            var hash = string.GetHashCode(token, StringComparison.Ordinal);
            if (UnknownCount < _unknown.Length && !_unknown[..UnknownCount].Contains(hash)) _unknown[UnknownCount++] = hash;
        }
    }
}
