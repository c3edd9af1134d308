namespace CustomerService.HistoryWriter.Storage;

/// <summary>The rows of JSONEachRow output, one JSON object per line, without copying.</summary>
internal readonly ref struct JsonLines(ReadOnlySpan<byte> text)
{
    private readonly ReadOnlySpan<byte> _text = text;

    public Enumerator GetEnumerator() => new(_text);

    public ref struct Enumerator(ReadOnlySpan<byte> text)
    {
        private ReadOnlySpan<byte> _rest = text;

        public ReadOnlySpan<byte> Current { get; private set; }

        public bool MoveNext()
        {
            while (!_rest.IsEmpty)
            {
                var end = _rest.IndexOf((byte)'\n');
                var line = end < 0 ? _rest : _rest[..end];
                _rest = end < 0 ? default : _rest[(end + 1)..];
                if (line.IsEmpty) continue;
                Current = line;
                return true;
            }
            return false;
        }
    }
}
