namespace CustomerService.AdapterKit.Php;

/// <summary>Why PHP serialized data was refused.</summary>
public enum PhpSerializationError
{
    /// <summary>The bytes do not follow PHP's serialize() grammar (wrong type letter, length, delimiter, reference ...).</summary>
    Malformed,
    /// <summary>The input ends before the value it declares does.</summary>
    Truncated,
    /// <summary>The input is well-formed so far but exceeds a limit of <see cref="PhpUnserializeOptions"/>.</summary>
    LimitExceeded,
}

/// <summary>
/// The only exception <see cref="PhpSerialized"/> throws for bad input: what is wrong and at which byte of the input
/// (0-based, as PHP's own "Error at offset X of Y bytes" counts).
/// </summary>
public sealed class PhpSerializationException : FormatException
{
    public PhpSerializationException(PhpSerializationError error, long offset, long length, string detail)
        : base($"PHP serialized data {Describe(error)} at byte {offset} of {length}: {detail}")
    {
        Error = error;
        Offset = offset;
        Detail = detail;
    }

    public PhpSerializationError Error { get; }

    /// <summary>Byte offset in the input where the problem was found.</summary>
    public long Offset { get; }

    public string Detail { get; }

    private static string Describe(PhpSerializationError error) => error switch
    {
        PhpSerializationError.Truncated => "is truncated",
        PhpSerializationError.LimitExceeded => "exceeds a limit",
        _ => "is malformed",
    };
}
