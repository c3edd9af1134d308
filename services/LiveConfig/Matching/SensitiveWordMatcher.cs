using System.Numerics;

namespace CustomerService.LiveConfig;

/// <summary>A word found in a message: its span in the original text, the word as listed, and the list's policy.</summary>
public readonly record struct SensitiveWordHit(int Start, int Length, string Word, string List, WordPolicy Policy);

/// <summary>The result of one scan: every hit (overlapping ones included) and the strictest policy among them.</summary>
public readonly struct SensitiveWordScan
{
    private readonly IReadOnlyList<SensitiveWordHit>? _hits;

    internal SensitiveWordScan(IReadOnlyList<SensitiveWordHit>? hits, WordPolicy policy)
    {
        _hits = hits;
        Policy = policy;
    }

    public IReadOnlyList<SensitiveWordHit> Hits => _hits ?? [];
    public WordPolicy Policy { get; }
    public bool HasHits => Policy != WordPolicy.None;

    /// <summary>
    /// The text with every character of a hit whose policy is mask or block replaced by '*'. Hits of flag-only
    /// lists stay readable: those are for risk control to see, not for the recipient to miss.
    /// </summary>
    public string Mask(string text)
    {
        if (Policy < WordPolicy.Mask) return text;
        return string.Create(text.Length, (text, Hits), static (span, state) =>
        {
            state.text.AsSpan().CopyTo(span);
            foreach (var hit in state.Hits)
                if (hit.Policy >= WordPolicy.Mask) span.Slice(hit.Start, hit.Length).Fill('*');
        });
    }
}

/// <summary>
/// Finds a tenant's sensitive words in a message in one pass: an Aho-Corasick automaton over folded characters
/// (<see cref="TextFolding"/>), separators skipped, so "Ｓ.P.A.M" and "傻 逼" are found and the span reported covers
/// the original characters. Words made of ASCII letters or digits at an end only match at a word boundary there
/// ("ass" is not found in "class"). Immutable and thread-safe; build a new one when the lists change.
/// </summary>
/// <remarks>
/// Laid out for the cache, since a scan is a chain of dependent memory reads: states are referred to by a
/// "ref" that carries, beside the state number, whether the state reports a word and whether its failure link
/// is the root, so the common path (no word, fail to the root) reads neither the state table nor the failure
/// links; a small bit filter answers most "no such transition" questions before the transition table is read.
/// </remarks>
public sealed class SensitiveWordMatcher
{
    /// <summary>Longest word, in characters without separators; bounds the positions a scan remembers.</summary>
    public const int MaxWordLength = 64;
    /// <summary>Characters of all words together (without separators) one matcher holds: states are numbered in 22 bits.</summary>
    public const int MaxTotalLength = (1 << 22) - 1;

    private const int PositionRingMask = MaxWordLength - 1;
    private const int NoWord = -1;
    private const int StateMask = (1 << 22) - 1;
    private const int ReportsWord = 1 << 22;
    private const int FailsToRoot = 1 << 23;
    private const int RefBits = 24;
    private const ulong RefMask = (1UL << RefBits) - 1;

    public static SensitiveWordMatcher Empty { get; } = Build(SensitiveWords.Empty);

    // Characters that occur in some word get a dense symbol (1..n); 0 means "in no word": back to the root.
    private readonly ushort[] _symbolOf;
    private readonly int[] _rootNext;
    // Transitions of every other state in one open-addressing table, at most half full; a slot packs the key
    // (state << 16 | symbol) above the target's ref, so a probe is one 8-byte read. 0 is an empty slot (root
    // edges never go in it).
    private readonly ulong[] _edges;
    private readonly int _edgeShift;
    // One bit per hashed (state, symbol): clear means there is no such transition, without reading _edges.
    private readonly ulong[] _edgeFilter;
    private readonly int _filterShift;
    private readonly int[] _failRef;
    private readonly State[] _states;
    private readonly Word[] _words;

    private readonly record struct Word(string Text, string List, WordPolicy Policy, int Length, bool BoundaryBefore, bool BoundaryAfter);

    /// <summary>The word a state ends (or -1), and the nearest state down the failure chain that ends one, so nested and overlapping words are all reported.</summary>
    private readonly record struct State(int Word, int OutputLink);

    private SensitiveWordMatcher(ushort[] symbolOf, int[] rootNext, ulong[] edges, int edgeShift, ulong[] edgeFilter, int filterShift,
        int[] failRef, State[] states, Word[] words)
    {
        _symbolOf = symbolOf;
        _rootNext = rootNext;
        _edges = edges;
        _edgeShift = edgeShift;
        _edgeFilter = edgeFilter;
        _filterShift = filterShift;
        _failRef = failRef;
        _states = states;
        _words = words;
    }

    public int WordCount => _words.Length;

    public static SensitiveWordMatcher Build(SensitiveWords lists)
    {
        // One entry per folded word; a word on several lists keeps the strictest list.
        var byFolded = new Dictionary<string, Word>(StringComparer.Ordinal);
        foreach (var list in lists.Lists)
        {
            if (list.Policy == WordPolicy.None) continue;
            foreach (var text in list.Words)
            {
                var folded = TextFolding.FoldAndStrip(text);
                if (folded.Length is 0 or > MaxWordLength) continue;
                if (byFolded.TryGetValue(folded, out var existing) && existing.Policy >= list.Policy) continue;
                byFolded[folded] = new Word(text, list.Name, list.Policy, folded.Length,
                    TextFolding.IsWordChar(folded[0]), TextFolding.IsWordChar(folded[^1]));
            }
        }

        var symbolOf = new ushort[char.MaxValue + 1];
        var symbolCount = 0;
        var children = new List<List<(int Symbol, int Child)>> { new() };
        var wordAt = new List<int> { NoWord };
        var edges = new Dictionary<long, int>();
        var words = new Word[byFolded.Count];
        var w = 0;
        foreach (var (folded, word) in byFolded)
        {
            var state = 0;
            foreach (var c in folded)
            {
                if (symbolOf[c] == 0) symbolOf[c] = (ushort)++symbolCount;
                var key = EdgeKey(state, symbolOf[c]);
                if (!edges.TryGetValue(key, out var next))
                {
                    next = children.Count;
                    if (next > StateMask) throw new ArgumentException($"The lists hold more than {MaxTotalLength} characters.", nameof(lists));
                    children.Add([]);
                    wordAt.Add(NoWord);
                    edges[key] = next;
                    children[state].Add((symbolOf[c], next));
                }
                state = next;
            }
            wordAt[state] = w;
            words[w++] = word;
        }

        var stateCount = children.Count;
        var rootChildren = new int[symbolCount + 1];
        foreach (var (symbol, child) in children[0]) rootChildren[symbol] = child;

        var fail = new int[stateCount];
        var outputLink = new int[stateCount];
        var queue = new Queue<int>();
        foreach (var (_, child) in children[0]) queue.Enqueue(child);
        while (queue.TryDequeue(out var state))
        {
            foreach (var (symbol, child) in children[state])
            {
                var f = fail[state];
                int target;
                while (true)
                {
                    if (f == 0) { target = rootChildren[symbol]; break; }
                    if (edges.TryGetValue(EdgeKey(f, symbol), out target)) break;
                    f = fail[f];
                }
                fail[child] = target == child ? 0 : target;
                outputLink[child] = wordAt[fail[child]] != NoWord ? fail[child] : outputLink[fail[child]];
                queue.Enqueue(child);
            }
        }

        int RefOf(int state) => state
            | (wordAt[state] != NoWord || outputLink[state] != 0 ? ReportsWord : 0)
            | (fail[state] == 0 ? FailsToRoot : 0);

        var states = new State[stateCount];
        var failRef = new int[stateCount];
        for (var i = 0; i < stateCount; i++)
        {
            states[i] = new State(wordAt[i], outputLink[i]);
            failRef[i] = RefOf(fail[i]);
        }
        var rootNext = new int[symbolCount + 1];
        for (var i = 1; i <= symbolCount; i++) rootNext[i] = rootChildren[i] == 0 ? 0 : RefOf(rootChildren[i]);

        var nonRootEdges = edges.Count - children[0].Count;
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, nonRootEdges * 2));
        var table = new ulong[capacity];
        var edgeShift = 64 - BitOperations.Log2((uint)capacity);
        // Eight filter bits per transition: about one "maybe" in nine for a transition that does not exist.
        var filterBits = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, nonRootEdges * 8));
        var filter = new ulong[filterBits / 64];
        var filterShift = 64 - BitOperations.Log2((uint)filterBits);
        foreach (var (key, target) in edges)
        {
            if (key >> 16 == 0) continue;
            var i = Slot(key, edgeShift);
            while (table[i] != 0) i = (i + 1) & (capacity - 1);
            table[i] = ((ulong)key << RefBits) | (uint)RefOf(target);
            var bit = FilterBit(key, filterShift);
            filter[bit >> 6] |= 1UL << bit;
        }

        return new SensitiveWordMatcher(symbolOf, rootNext, table, edgeShift, filter, filterShift, failRef, states, words);
    }

    /// <summary>Finds every listed word in <paramref name="text"/>. Allocates nothing when there is no hit.</summary>
    public SensitiveWordScan Scan(ReadOnlySpan<char> text)
    {
        // Original positions of the last characters fed to the automaton, to map a hit back to its start.
        Span<int> positions = stackalloc int[MaxWordLength];
        List<SensitiveWordHit>? hits = null;
        var strictest = WordPolicy.None;
        var current = 0;
        var fed = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var raw = text[i];
            // CJK ideographs fold to themselves: most characters of a Chinese message skip the folding table.
            var c = raw is >= '\u4E00' and <= '\u9FFF' ? raw : TextFolding.Fold(raw);
            if (c == TextFolding.Ignorable) continue;
            positions[fed & PositionRingMask] = i;
            fed++;
            var symbol = _symbolOf[c];
            if (symbol == 0) { current = 0; continue; }
            current = Next(current, symbol);
            if ((current & ReportsWord) == 0) continue;

            var state = current & StateMask;
            ref readonly var reached = ref _states[state];
            for (var s = reached.Word != NoWord ? state : reached.OutputLink; s != 0; s = _states[s].OutputLink)
            {
                ref readonly var word = ref _words[_states[s].Word];
                var start = positions[(fed - word.Length) & PositionRingMask];
                if (word.BoundaryBefore && start > 0 && TextFolding.IsWordChar(TextFolding.Fold(text[start - 1]))) continue;
                if (word.BoundaryAfter && i + 1 < text.Length && TextFolding.IsWordChar(TextFolding.Fold(text[i + 1]))) continue;
                (hits ??= []).Add(new SensitiveWordHit(start, i + 1 - start, word.Text, word.List, word.Policy));
                if (word.Policy > strictest) strictest = word.Policy;
            }
        }
        return new SensitiveWordScan(hits, strictest);
    }

    /// <summary>Scans and masks in one call (see <see cref="SensitiveWordScan.Mask"/>).</summary>
    public string Mask(string text) => Scan(text).Mask(text);

    /// <summary>The ref reached from <paramref name="current"/> on <paramref name="symbol"/>, following failure links.</summary>
    private int Next(int current, int symbol)
    {
        var edges = _edges;
        var mask = edges.Length - 1;
        while (true)
        {
            var state = current & StateMask;
            if (state == 0) return _rootNext[symbol];
            var key = EdgeKey(state, symbol);
            var bit = FilterBit(key, _filterShift);
            if ((_edgeFilter[bit >> 6] & (1UL << bit)) != 0)
            {
                for (var i = Slot(key, _edgeShift); ; i = (i + 1) & mask)
                {
                    var slot = edges[i];
                    if (slot >> RefBits == (ulong)key) return (int)(slot & RefMask);
                    if (slot == 0) break;
                }
            }
            if ((current & FailsToRoot) != 0) return _rootNext[symbol];
            current = _failRef[state];
        }
    }

    private static long EdgeKey(int state, int symbol) => ((long)state << 16) | (uint)symbol;

    private static int Slot(long key, int shift) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> shift);

    private static int FilterBit(long key, int shift) => (int)(((ulong)key * 0xC2B2AE3D27D4EB4FUL) >> shift);
}
