using System.Text;

namespace CustomerService.AdapterKit.Php;

/// <summary>What to emit for a PHP float that JSON cannot hold (json_encode refuses INF, -INF and NAN).</summary>
public enum NonFiniteFloatHandling
{
    /// <summary>The strings "INF", "-INF" and "NAN" (as PHP prints them): nothing is lost.</summary>
    String,
    /// <summary>JSON null.</summary>
    Null,
    /// <summary>0, as json_encode does with JSON_PARTIAL_OUTPUT_ON_ERROR.</summary>
    Zero,
}

/// <summary>Limits and output choices for <see cref="PhpSerialized"/>. The defaults suit records of a legacy system.</summary>
public sealed record PhpUnserializeOptions
{
    public static PhpUnserializeOptions Default { get; } = new();

    /// <summary>Hard ceiling of <see cref="MaxDepth"/>: the reader recurses once per level, and this keeps it far from the stack's end.</summary>
    public const int DepthCeiling = 512;

    /// <summary>Largest input accepted, in bytes.</summary>
    public int MaxInputBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Deepest nesting of arrays and objects, in the input and in the JSON written (at most <see cref="DepthCeiling"/>).</summary>
    public int MaxDepth { get; init; } = 128;

    /// <summary>Most values read (every scalar, array, object and reference counts one).</summary>
    public int MaxValues { get; init; } = 1_000_000;

    /// <summary>
    /// Largest JSON output, in bytes. References let a small input name the same large value many times; this
    /// bounds what writing them out can cost.
    /// </summary>
    public int MaxOutputBytes { get; init; } = 32 * 1024 * 1024;

    public NonFiniteFloatHandling NonFiniteFloats { get; init; } = NonFiniteFloatHandling.String;

    /// <summary>
    /// How PHP's byte strings become text. Null (the default): UTF-8, with invalid sequences replaced by U+FFFD.
    /// A legacy system that stores another encoding names it here (e.g. GB18030 after registering
    /// <c>CodePagesEncodingProvider</c>); string lengths stay byte counts either way.
    /// </summary>
    public Encoding? StringEncoding { get; init; }

    /// <summary>
    /// Keep protected ("\0*\0name") and private ("\0Class\0name") object properties, under their mangled names.
    /// False (the default) drops them, as json_encode does.
    /// </summary>
    public bool IncludeNonPublicProperties { get; init; }

    /// <summary>When set, every object's JSON gets its PHP class name under this property (json_encode has none).</summary>
    public string? ClassNameProperty { get; init; }

    /// <summary>Ignore bytes after the value (PHP before 8.3 did so silently). False: only trailing whitespace is allowed.</summary>
    public bool AllowTrailingData { get; init; }

    internal void Validate()
    {
        if (MaxInputBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxInputBytes), MaxInputBytes, "must be positive");
        if (MaxDepth is < 1 or > DepthCeiling)
            throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, $"must be between 1 and {DepthCeiling}");
        if (MaxValues < 1) throw new ArgumentOutOfRangeException(nameof(MaxValues), MaxValues, "must be positive");
        if (MaxOutputBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxOutputBytes), MaxOutputBytes, "must be positive");
    }
}
