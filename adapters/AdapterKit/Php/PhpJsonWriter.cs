using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace CustomerService.AdapterKit.Php;

/// <summary>
/// Writes a <see cref="PhpValue"/> graph as json_encode would. What json_encode cannot encode is written as
/// documented on <see cref="PhpSerialized"/>.
/// </summary>
internal readonly ref struct PhpJsonWriter(Utf8JsonWriter writer, ReadOnlySpan<byte> input, PhpUnserializeOptions options)
{
    private const int WorstCaseEscapeFactor = 6; // a byte escaped as \u00XX
    private readonly ReadOnlySpan<byte> _input = input;

    public const string CustomClassProperty = "__php_class";
    public const string CustomPayloadProperty = "__php_serialized";

    /// <summary>
    /// Before writing: the least number of bytes and the nesting the JSON will have, each shared value measured
    /// once. References let a few hundred input bytes stand for 2^60 output values; this refuses them in time
    /// proportional to the input rather than to the output. Recursion is bounded by MaxDepth.
    /// </summary>
    public void Measure(PhpValue value, int depth)
    {
        if (value.MeasuredBytes >= 0)
        {
            if (depth + value.MeasuredHeight > options.MaxDepth) ThrowTooDeep(value);
            return;
        }
        if (value.Measuring) return; // a value inside itself: written as null
        long bytes;
        int height = 0;
        switch (value.Kind)
        {
            case PhpKind.Array:
            case PhpKind.Object:
                CheckDepth(value, depth);
                value.Measuring = true;
                bytes = 2;
                foreach (var member in value.Members!)
                {
                    if (value.Kind == PhpKind.Object && IsNonPublic(member.Key.Name!) && !options.IncludeNonPublicProperties) continue;
                    var child = member.Value;
                    Measure(child, depth + 1);
                    bytes += 1 + (child.Measuring ? 4 : child.MeasuredBytes) + (member.Key.Name?.Length + 3 ?? 0);
                    height = Math.Max(height, child.Measuring ? 0 : child.MeasuredHeight);
                    if (bytes > options.MaxOutputBytes) ThrowTooLarge(value);
                }
                value.Measuring = false;
                height++;
                break;
            case PhpKind.String:
            case PhpKind.Enum:
                bytes = value.Length + 2L;
                break;
            case PhpKind.CustomObject:
                bytes = value.Length + value.ClassName!.Length + 40L;
                height = 1;
                break;
            default:
                bytes = 4;
                break;
        }
        if (bytes > options.MaxOutputBytes) ThrowTooLarge(value);
        value.MeasuredBytes = bytes;
        value.MeasuredHeight = height;
    }

    public void Write(PhpValue value, int depth)
    {
        switch (value.Kind)
        {
            case PhpKind.Null: writer.WriteNullValue(); break;
            case PhpKind.Bool: writer.WriteBooleanValue(value.Bool); break;
            case PhpKind.Int: writer.WriteNumberValue(value.Int); break;
            case PhpKind.Float: WriteFloat(value.Float); break;
            case PhpKind.String: WriteString(value, value.StringBytes(_input)); break;
            case PhpKind.Enum: WriteString(value, value.StringBytes(_input)); break;
            case PhpKind.Array: WriteArray(value, depth); break;
            case PhpKind.Object: WriteObject(value, depth); break;
            case PhpKind.CustomObject: WriteCustomObject(value); break;
        }
        CheckSize(value, 0);
    }

    private void WriteArray(PhpValue array, int depth)
    {
        if (array.Writing) { writer.WriteNullValue(); return; } // recursion: json_encode's partial output writes null too
        CheckDepth(array, depth);
        array.Writing = true;
        var members = array.Members!;
        if (array.IsList())
        {
            writer.WriteStartArray();
            foreach (var member in members) Write(member.Value, depth + 1);
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteStartObject();
            foreach (var member in members)
            {
                WritePropertyName(array, member.Key.ToString());
                Write(member.Value, depth + 1);
            }
            writer.WriteEndObject();
        }
        array.Writing = false;
    }

    private void WriteObject(PhpValue obj, int depth)
    {
        if (obj.Writing) { writer.WriteNullValue(); return; }
        CheckDepth(obj, depth);
        obj.Writing = true;
        writer.WriteStartObject();
        if (options.ClassNameProperty is { } classProperty) writer.WriteString(classProperty, obj.ClassName);
        foreach (var member in obj.Members!)
        {
            string name = member.Key.ToString();
            if (IsNonPublic(name) && !options.IncludeNonPublicProperties) continue;
            WritePropertyName(obj, name);
            Write(member.Value, depth + 1);
        }
        writer.WriteEndObject();
        obj.Writing = false;
    }

    private void WriteCustomObject(PhpValue obj)
    {
        writer.WriteStartObject();
        writer.WriteString(options.ClassNameProperty ?? CustomClassProperty, obj.ClassName);
        writer.WritePropertyName(CustomPayloadProperty);
        WriteString(obj, obj.StringBytes(_input));
        writer.WriteEndObject();
    }

    /// <summary>"\0*\0name" is protected, "\0Class\0name" private: json_encode leaves both out.</summary>
    private static bool IsNonPublic(string propertyName) => propertyName.Length > 0 && propertyName[0] == '\0';

    private void WriteFloat(double value)
    {
        if (double.IsFinite(value)) { writer.WriteNumberValue(value); return; }
        switch (options.NonFiniteFloats)
        {
            case NonFiniteFloatHandling.Null: writer.WriteNullValue(); break;
            case NonFiniteFloatHandling.Zero: writer.WriteNumberValue(0); break;
            default: writer.WriteStringValue(double.IsNaN(value) ? "NAN" : value > 0 ? "INF" : "-INF"); break;
        }
    }

    private void WriteString(PhpValue owner, ReadOnlySpan<byte> bytes)
    {
        CheckSize(owner, (long)bytes.Length * WorstCaseEscapeFactor);
        if (options.StringEncoding is { } encoding) writer.WriteStringValue(encoding.GetString(bytes));
        else if (Utf8.IsValid(bytes)) writer.WriteStringValue(bytes);
        else writer.WriteStringValue(Encoding.UTF8.GetString(bytes)); // invalid sequences become U+FFFD
    }

    private void WritePropertyName(PhpValue owner, string name)
    {
        CheckSize(owner, (long)name.Length * 3 * WorstCaseEscapeFactor);
        writer.WritePropertyName(name);
    }

    private void CheckDepth(PhpValue value, int depth)
    {
        if (depth >= options.MaxDepth) ThrowTooDeep(value);
    }

    /// <summary>Refuses output past MaxOutputBytes, counting what is about to be written.</summary>
    private void CheckSize(PhpValue value, long upcoming)
    {
        if (writer.BytesCommitted + writer.BytesPending + upcoming > options.MaxOutputBytes) ThrowTooLarge(value);
    }

    private void ThrowTooDeep(PhpValue value) =>
        throw new PhpSerializationException(PhpSerializationError.LimitExceeded, value.Offset, _input.Length,
            $"the JSON would nest deeper than {options.MaxDepth} levels (through references)");

    private void ThrowTooLarge(PhpValue value) =>
        throw new PhpSerializationException(PhpSerializationError.LimitExceeded, value.Offset, _input.Length,
            string.Create(CultureInfo.InvariantCulture,
                $"the JSON would be larger than {options.MaxOutputBytes} bytes (references repeat values)"));
}
