namespace CustomerService.AdapterKit.Php;

internal enum PhpKind : byte { Null, Bool, Int, Float, String, Array, Object, CustomObject, Enum }

/// <summary>An array key: PHP keys are integers or byte strings (numeric strings become integers in arrays).</summary>
internal readonly record struct PhpKey(long Int, string? Name)
{
    public bool IsInt => Name is null;
    public override string ToString() => Name ?? Int.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One value read from the input. Strings are not copied: they are ranges of the input (or, for the escaped
/// <c>S:</c> form, a decoded buffer). A reference (<c>r:</c>, <c>R:</c>) is the same node in two places, so the
/// tree is a graph that the JSON writer walks with a recursion guard.
/// </summary>
internal sealed class PhpValue
{
    private Dictionary<PhpKey, int>? _index;

    private PhpValue(PhpKind kind, int offset) { Kind = kind; Offset = offset; }

    public PhpKind Kind { get; }

    /// <summary>Where the value starts in the input: for errors found while writing it.</summary>
    public int Offset { get; }

    public long Int { get; private init; }
    public double Float { get; private init; }
    public bool Bool => Int != 0;

    /// <summary>String bytes (String, the payload of a CustomObject, "Class:Case" of an Enum): a range of the input ...</summary>
    public int Start { get; private init; }
    public int Length { get; private init; }
    /// <summary>... or decoded bytes of an escaped string.</summary>
    public byte[]? Bytes { get; private init; }

    public string? ClassName { get; private init; }

    /// <summary>Elements of an array or properties of an object, in order; a repeated key replaces the value in place.</summary>
    public List<KeyValuePair<PhpKey, PhpValue>>? Members { get; private init; }

    /// <summary>Set while the JSON writer is inside this array or object.</summary>
    public bool Writing { get; set; }

    /// <summary>What writing this value costs at least (bytes) and how deep it nests, once measured; -1 before.</summary>
    public long MeasuredBytes { get; set; } = -1;
    public int MeasuredHeight { get; set; }
    public bool Measuring { get; set; }

    public ReadOnlySpan<byte> StringBytes(ReadOnlySpan<byte> input) => Bytes ?? input.Slice(Start, Length);

    public static PhpValue Null(int offset) => new(PhpKind.Null, offset);
    public static PhpValue Boolean(int offset, bool value) => new(PhpKind.Bool, offset) { Int = value ? 1 : 0 };
    public static PhpValue Integer(int offset, long value) => new(PhpKind.Int, offset) { Int = value };
    public static PhpValue Double(int offset, double value) => new(PhpKind.Float, offset) { Float = value };
    public static PhpValue String(int offset, int start, int length) => new(PhpKind.String, offset) { Start = start, Length = length };
    public static PhpValue String(int offset, byte[] bytes) => new(PhpKind.String, offset) { Bytes = bytes, Length = bytes.Length };
    public static PhpValue Enum(int offset, int start, int length) => new(PhpKind.Enum, offset) { Start = start, Length = length };

    public static PhpValue Array(int offset, int capacity) =>
        new(PhpKind.Array, offset) { Members = new(capacity) };

    public static PhpValue Object(int offset, string className, int capacity) =>
        new(PhpKind.Object, offset) { ClassName = className, Members = new(capacity) };

    public static PhpValue CustomObject(int offset, string className, int start, int length) =>
        new(PhpKind.CustomObject, offset) { ClassName = className, Start = start, Length = length };

    public bool IsObjectLike => Kind is PhpKind.Object or PhpKind.CustomObject or PhpKind.Enum;

    /// <summary>Adds a member, or replaces the value of an existing key where it stands (as PHP does).</summary>
    public void Set(PhpKey key, PhpValue value)
    {
        var members = Members!;
        const int linearScanLimit = 8;
        if (_index is null && members.Count >= linearScanLimit)
        {
            _index = new Dictionary<PhpKey, int>(members.Count * 2);
            for (int i = 0; i < members.Count; i++) _index[members[i].Key] = i;
        }
        if (_index is not null)
        {
            if (_index.TryGetValue(key, out int at)) { members[at] = new(key, value); return; }
            _index[key] = members.Count;
        }
        else
        {
            for (int i = 0; i < members.Count; i++)
                if (members[i].Key == key) { members[i] = new(key, value); return; }
        }
        members.Add(new(key, value));
    }

    /// <summary>json_encode writes an array as a list when its keys are exactly 0, 1, ... n-1 in that order.</summary>
    public bool IsList()
    {
        var members = Members!;
        for (int i = 0; i < members.Count; i++)
            if (!members[i].Key.IsInt || members[i].Key.Int != i) return false;
        return true;
    }
}
