using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomerService.AdapterKit.Php;

/// <summary>
/// PHP serialize() output read safely, as data, and written as the JSON that PHP's json_encode() gives for the
/// same value.
/// <list type="bullet">
/// <item>Arrays whose keys are 0..n-1 in order are JSON lists; other arrays are objects (integer keys as
/// decimal strings). Numeric-string keys ("5") are integer keys, as in PHP. A repeated key keeps its first place
/// and its last value.</item>
/// <item>Objects (<c>O:</c>) are JSON objects of their public properties; protected and private ones (names
/// starting with "\0") are left out unless <see cref="PhpUnserializeOptions.IncludeNonPublicProperties"/>.
/// No class is ever instantiated.</item>
/// <item>References (<c>r:</c>, <c>R:</c>) repeat the value they name. A value that contains itself is written as
/// null where it recurs (json_encode fails on it; with JSON_PARTIAL_OUTPUT_ON_ERROR it writes null).</item>
/// </list>
/// What json_encode cannot encode:
/// <list type="bullet">
/// <item>INF, -INF, NAN: the strings "INF", "-INF", "NAN" by default (<see cref="PhpUnserializeOptions.NonFiniteFloats"/>).</item>
/// <item>Custom-serialized objects (<c>C:</c>): <c>{"__php_class": "Name", "__php_serialized": "payload"}</c>,
/// the payload being the class's own format, unread.</item>
/// <item>Enums (<c>E:</c>): the string "Class:Case" (a backed enum's value is not in the data).</item>
/// <item>Bytes that are not UTF-8: U+FFFD in their place (or decoded with <see cref="PhpUnserializeOptions.StringEncoding"/>).</item>
/// </list>
/// Bad input of any kind raises <see cref="PhpSerializationException"/> and nothing else.
/// </summary>
public static class PhpSerialized
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The JSON (UTF-8) of a serialize() output.</summary>
    public static byte[] ToJson(ReadOnlySpan<byte> serialized, PhpUnserializeOptions? options = null)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Min(Math.Max(serialized.Length * 2, 256), 1 << 20));
        WriteJson(serialized, buffer, options);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the JSON of a serialize() output to <paramref name="output"/>; on an exception, what was written is incomplete.</summary>
    public static void WriteJson(ReadOnlySpan<byte> serialized, IBufferWriter<byte> output, PhpUnserializeOptions? options = null)
    {
        options ??= PhpUnserializeOptions.Default;
        options.Validate();
        var root = new PhpReader(serialized, options).ReadDocument();
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = Encoder, MaxDepth = options.MaxDepth + 2 });
        var json = new PhpJsonWriter(writer, serialized, options);
        json.Measure(root, depth: 0);
        json.Write(root, depth: 0);
        writer.Flush();
    }

    /// <summary>The JSON of a serialize() output as a <see cref="JsonNode"/> (null for PHP null).</summary>
    public static JsonNode? ToJsonNode(ReadOnlySpan<byte> serialized, PhpUnserializeOptions? options = null)
    {
        options ??= PhpUnserializeOptions.Default;
        return JsonNode.Parse(ToJson(serialized, options), documentOptions: new JsonDocumentOptions { MaxDepth = options.MaxDepth + 2 });
    }
}
