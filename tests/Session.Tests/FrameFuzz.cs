using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CustomerService.Session.Conversations;
using CustomerService.Session.Protocol;
using CustomerService.Session.Sockets;

namespace CustomerService.Session.Tests;

/// <summary>What a fuzzed input is: how it was made (for the failure message), its bytes, and whether it goes as a binary WebSocket message.</summary>
internal sealed record FuzzInput(string Kind, byte[] Bytes, bool Binary = false)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public static FuzzInput Of(string kind, string json) => new(kind, Encoding.UTF8.GetBytes(json));

    public bool IsUtf8
    {
        get
        {
            try { StrictUtf8.GetString(Bytes); return true; }
            catch (DecoderFallbackException) { return false; }
        }
    }

    /// <summary>The input as a failure message shows it: its text (cut at 300 characters) or, not being UTF-8, its bytes in hex.</summary>
    public override string ToString()
    {
        var shown = IsUtf8 ? Encoding.UTF8.GetString(Bytes) : Convert.ToHexString(Bytes);
        return $"{Kind}{(Binary ? ", binary" : "")}, {Bytes.Length} bytes: {(shown.Length <= 300 ? shown : shown[..300] + "…")}";
    }
}

/// <summary>What the parser should make of an input, worked out from the JSON itself (<see cref="FrameFuzz.Oracle"/>).</summary>
internal enum Verdict { Frame, Malformed, Either }

/// <summary>
/// Inputs for <see cref="SocketSession.Parse"/> and the socket, from a seeded <see cref="Random"/> (the same inputs on
/// every run for a seed) and from fixed lists of edge values: random bytes, JSON-like token soup, valid frames cut
/// short or with one byte changed, every field of <see cref="ClientFrame"/> given every kind of wrong or extreme JSON
/// value, duplicate properties, unknown types, invalid UTF-8, deep nesting and odd documents.
/// </summary>
internal static class FrameFuzz
{
    public static readonly string[] Types =
        [FrameTypes.Hello, FrameTypes.Resume, FrameTypes.Message, FrameTypes.Typing, FrameTypes.Read, FrameTypes.Ping,
         FrameTypes.Presence, FrameTypes.Transfer, FrameTypes.End, FrameTypes.Ticket];

    private enum Kind { String, Long, Bool }

    /// <summary>ClientFrame's JSON properties and their kinds, read from the class: a field added there is fuzzed too.</summary>
    private static readonly (string Name, Kind Kind)[] Fields = typeof(ClientFrame)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => (JsonNamingPolicy.CamelCase.ConvertName(p.Name), p.PropertyType == typeof(string) ? Kind.String
            : p.PropertyType == typeof(long?) ? Kind.Long
            : p.PropertyType == typeof(bool?) ? Kind.Bool
            : throw new InvalidOperationException($"ClientFrame.{p.Name}: give FrameFuzz its JSON kind")))
        .ToArray();

    public static IEnumerable<string> FieldNames => Fields.Select(f => f.Name);

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);
    private static string NestedObjects(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    /// <summary>JSON values of every kind, wrong for most fields, extreme for the others (all ASCII).</summary>
    public static readonly string[] OddValues =
    [
        "null", "true", "false", "0", "-0", "-1", "1.5", "1e3", "1E+2", "1e400", "-1e400", "1e-400",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "0.0000000000000000000000000001",
        "\"\"", "\" \"", "\"x\"", "\"42\"", "\"-1\"", "\"1e400\"", "\"9223372036854775808\"", "\"true\"", "\"null\"",
        "[]", "[1,2]", "[\"ping\"]", "{}", "{\"type\":\"ping\"}", "[[[[]]]]", "[{\"a\":[{}]}]",
        "\"\\ud800\"", "\"\\udc00\"", "\"a\\ud800\"", "\"\\ud800\\ud800\"", "\"\\udc00\\ud800\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"",
        "\"\\u12\"", "\"\\x41\"", "\"\\'\"", "\"\\U0041\"",
        "\"c1\\n\"", "\"c1\\r\\n\"", "\"\\nc1\"", "\"c 1\"", "\"c1\\u2028\"", "\"c1\\t\"", "\"\\u0661\\u0662\"",
        "\"" + new string('a', 64) + "\"", "\"" + new string('a', 65) + "\"",
        "NaN", "Infinity", "-Infinity", "0x10", "01", "+1", ".5", "1.", "'ping'", "undefined", "tru", "nul", "\"open",
        "\"" + new string('x', 4000) + "\"", "\"" + new string('x', 4001) + "\"", "\"" + new string(' ', 4000) + "\"",
        Nested(62), Nested(63), Nested(64), Nested(1000), NestedObjects(63), NestedObjects(200),
    ];

    /// <summary>Values too big for a socket frame: only for the parser.</summary>
    public static readonly string[] HugeValues =
        [Nested(10_000), NestedObjects(10_000), "\"" + new string('x', 100_000) + "\"", "1" + new string('0', 10_000)];

    /// <summary>Whole documents that are no frame, or are one in an unusual dress.</summary>
    public static readonly string[] OddDocuments =
    [
        "", " ", "\t\r\n", "null", "true", "1", "\"ping\"", "[]", "[{\"type\":\"ping\"}]", "{}", "{\"type\":null}", "{\"type\":\"\"}",
        "{\"type\":\"ping\"} {\"type\":\"ping\"}", "{\"type\":\"ping\"}x", "{\"type\":\"ping\"}}", "{\"type\":\"ping\",}",
        "{\"type\":\"ping\"/*c*/}", "//c\n{\"type\":\"ping\"}", "{'type':'ping'}", "{type:\"ping\"}", "{\"type\":\"ping\"",
        "{\"type\" \"ping\"}", "{\"type\":\"ping\",,\"x\":1}", "{\"type\":\"ping\"}\u0000", "\u0000", "\uFEFF{\"type\":\"ping\"}",
        " \r\n\t{ \"type\" :\r\n\"ping\" \t} \n", "{\"\\u0074ype\":\"ping\"}", "{\"TYPE\":\"ping\"}", "{\"Type\":\"ping\",\"type\":null}",
        "{\"type\":\"ping\",\"type\":\"message\"}", "{\"type\":\"message\",\"type\":5}", "{\"type\":5,\"type\":\"ping\"}",
        "{\"type\":\"ping\",\"\":1}", "{\"type\":\"ping\",\"x\":" + Nested(63) + "}", "{\"type\":\"ping\",\"x\":" + Nested(64) + "}",
        "{\"type\":\"ping\",\"x\":\"\\ud800\"}", "{\"type\":\"ping\",\"\\ud800\":1}", Nested(64), Nested(65),
        "{\"type\":\"resume\",\"conversationId\":\"c\",\"lastSeq\":-1}", "{\"type\":\"resume\",\"conversationId\":\"c\",\"lastSeq\":9223372036854775807}",
        "{\"type\":\"resume\",\"conversationId\":\"c\",\"lastSeq\":\"12\"}", "{\"type\":\"resume\",\"conversationId\":\"c\",\"lastSeq\":12.0}",
    ];

    public static readonly string[] HugeDocuments = [Nested(10_000), NestedObjects(10_000), "{\"type\":\"ping\",\"x\":" + Nested(10_000) + "}"];

    /// <summary>Byte sequences that are not UTF-8: a lone continuation, an overlong NUL, an encoded surrogate, past U+10FFFF, cut short, 0xFF.</summary>
    public static readonly byte[][] InvalidUtf8 =
        [[0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8], [0xFF], [0xFE, 0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80]];

    private static readonly string[] OddTypes =
    [
        "PING", "Ping", " ping", "ping ", "ping\u0000", "ping\n", "pingx", "hello2", "", " ", "-", "😀", "\u200Bping",
        new string('a', 39) + "😀", new string('a', 40) + "😀", new string('t', 5_000), "ack", "welcome", "pong", "error", "conversation",
    ];

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON for a string: escaped to ASCII, or (relaxed) with its non-ASCII characters as they are.</summary>
    private static string Json(string s, bool relaxed = false) => relaxed ? JsonSerializer.Serialize(s, Relaxed) : JsonSerializer.Serialize(s);

    public static string Assemble(IEnumerable<(string Name, string Raw)> fields) =>
        "{" + string.Join(",", fields.Select(f => Json(f.Name) + ":" + f.Raw)) + "}";

    private const string IdChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    private static readonly string[] TextUnits = ["a", "b", "z", " ", "1", "中", "文", "订", "单", "😀", "é", "\"", "\\", "/", "\n", "\t", "<", "&", "'", "\u2028"];

    public static string Id(Random r) => new(Enumerable.Range(0, r.Next(1, 13)).Select(_ => IdChars[r.Next(IdChars.Length)]).ToArray());
    private static string Text(Random r) => string.Concat(Enumerable.Range(0, r.Next(1, 40)).Select(_ => TextUnits[r.Next(TextUnits.Length)]));

    /// <summary>A well-formed frame of a random type, its ids and conversation as given.</summary>
    public static List<(string Name, string Raw)> ValidFrame(Random r, string conversationId, bool relaxed = false)
    {
        string type = Types[r.Next(Types.Length)];
        var f = new List<(string Name, string Raw)> { ("type", Json(type)) };
        string S(string s) => Json(s, relaxed);
        switch (type)
        {
            case FrameTypes.Hello: if (r.Next(2) == 0) f.Add(("echo", r.Next(2) == 0 ? "true" : "false")); break;
            case FrameTypes.Resume: f.Add(("conversationId", S(conversationId))); f.Add(("lastSeq", r.Next(0, 100).ToString())); break;
            case FrameTypes.Message: f.Add(("clientId", S(Id(r)))); f.Add(("text", S(Text(r)))); f.Add(("conversationId", S(conversationId))); break;
            case FrameTypes.Typing: f.Add(("conversationId", S(conversationId))); f.Add(("on", r.Next(2) == 0 ? "true" : "false")); break;
            case FrameTypes.Read: f.Add(("conversationId", S(conversationId))); f.Add(("seq", r.Next(0, 100).ToString())); break;
            case FrameTypes.Presence: f.Add(("status", S(new[] { "online", "away", "offline" }[r.Next(3)]))); break;
            case FrameTypes.Transfer: f.Add(("conversationId", S(conversationId))); f.Add(("toAgent", S(Id(r)))); break;
            case FrameTypes.End: f.Add(("conversationId", S(conversationId))); f.Add(("reason", S(Text(r)))); break;
            case FrameTypes.Ticket:
                f.Add(("conversationId", S(conversationId))); f.Add(("clientId", S(Id(r)))); f.Add(("title", S(Text(r))));
                f.Add(("description", S(Text(r)))); f.Add(("orderId", S("SO-" + Id(r)))); f.Add(("priority", S("high")));
                break;
        }
        if (r.Next(4) == 0) f.Add(("unknown" + Id(r), S(Text(r))));   // unknown fields are ignored
        // Fields in any order: the parser must not care.
        return f.OrderBy(_ => r.Next()).ToList();
    }

    /// <summary>A frame with one field (present or not) set to <paramref name="raw"/>.</summary>
    private static List<(string Name, string Raw)> WithField(List<(string Name, string Raw)> frame, string name, string raw)
    {
        var i = frame.FindIndex(f => f.Name == name);
        if (i >= 0) frame[i] = (name, raw);
        else frame.Add((name, raw));
        return frame;
    }

    private static string CaseVariant(Random r, string name) => r.Next(3) switch
    {
        0 => name,
        1 => name.ToUpperInvariant(),
        _ => char.ToUpperInvariant(name[0]) + name[1..],
    };

    /// <summary>Every field of a frame of each type given every odd value, and the odd documents: the same on every run.</summary>
    public static IEnumerable<FuzzInput> EdgeInputs(bool huge)
    {
        var r = new Random(0);
        foreach (var type in Types)
        {
            foreach (var field in FieldNames)
                foreach (var value in huge ? HugeValues : OddValues)
                {
                    var frame = Frame(r, type);
                    yield return FuzzInput.Of($"{type} with {field}={Cut(value)}", Assemble(WithField(frame, field, value)));
                }
        }
        foreach (var document in huge ? HugeDocuments : OddDocuments) yield return FuzzInput.Of("document", document);
        foreach (var type in OddTypes) yield return FuzzInput.Of("type " + Cut(type), Assemble([("type", Json(type)), ("clientId", Json("c1"))]));
        if (!huge)
            foreach (var bad in InvalidUtf8)
                foreach (var field in new[] { "type", "text", "clientId", "zz" })
                {
                    var frame = Frame(r, FrameTypes.Message);
                    frame.RemoveAll(f => f.Name == field);
                    var before = Encoding.UTF8.GetBytes(Assemble(frame)[..^1] + "," + Json(field) + ":\"a");
                    yield return new FuzzInput($"invalid UTF-8 {Convert.ToHexString(bad)} in {field}", [.. before, .. bad, .. "b\"}"u8]);
                    yield return new FuzzInput($"invalid UTF-8 {Convert.ToHexString(bad)} in a name", [.. Encoding.UTF8.GetBytes(Assemble(frame)[..^1] + ",\"a"), .. bad, .. "\":1}"u8]);
                }
    }

    /// <summary>A well-formed frame of the given type.</summary>
    private static List<(string Name, string Raw)> Frame(Random r, string type)
    {
        while (true)
        {
            var frame = ValidFrame(r, "conv-" + Id(r));
            if (frame.Contains(("type", Json(type)))) return frame;
        }
    }

    private static string Cut(string s) => s.Length <= 24 ? s : s[..24] + $"…({s.Length})";

    /// <summary><paramref name="count"/> random inputs: kinds of damage to frames, chosen and made from <paramref name="r"/>.</summary>
    /// <param name="conversationId">Made for a conversation (the socket's tests name one no one has), else a random id each.</param>
    public static IEnumerable<FuzzInput> RandomInputs(Random r, int count, string? conversationId = null)
    {
        string Conversation() => conversationId ?? "conv-" + Id(r);
        for (int i = 0; i < count; i++)
        {
            int kind = r.Next(9);
            switch (kind)
            {
                case 0:
                    yield return new FuzzInput("random bytes", RandomBytes(r, r.Next(0, 120)));
                    break;
                case 1:
                    yield return FuzzInput.Of("token soup", TokenSoup(r));
                    break;
                case 2:
                {
                    var bytes = Encoding.UTF8.GetBytes(Assemble(ValidFrame(r, Conversation(), relaxed: r.Next(2) == 0)));
                    yield return new FuzzInput("truncated frame", bytes[..r.Next(0, bytes.Length)]);
                    break;
                }
                case 3:
                {
                    var bytes = Encoding.UTF8.GetBytes(Assemble(ValidFrame(r, Conversation(), relaxed: r.Next(2) == 0)));
                    int at = r.Next(bytes.Length);
                    // Half the time an ASCII character, so the frame stays text; else any byte.
                    bytes[at] = (byte)(r.Next(2) == 0 ? r.Next(0x20, 0x7F) : r.Next(256));
                    yield return new FuzzInput($"frame with byte {at} changed", bytes);
                    break;
                }
                case 4:
                {
                    var field = Fields[r.Next(Fields.Length)].Name;
                    var value = OddValues[r.Next(OddValues.Length)];
                    yield return FuzzInput.Of($"{field}={Cut(value)}", Assemble(WithField(ValidFrame(r, Conversation()), field, value)));
                    break;
                }
                case 5:
                {
                    var frame = ValidFrame(r, Conversation());
                    var (name, _) = frame[r.Next(frame.Count)];
                    var other = r.Next(2) == 0 ? OddValues[r.Next(OddValues.Length)] : ValidFrame(r, Conversation()).FirstOrDefault(f => f.Name == name).Raw ?? "null";
                    frame.Insert(r.Next(frame.Count + 1), (CaseVariant(r, name), other));
                    yield return FuzzInput.Of($"duplicate {name}", Assemble(frame));
                    break;
                }
                case 6:
                {
                    var type = r.Next(3) == 0 ? OddTypes[r.Next(OddTypes.Length)] : r.Next(2) == 0 ? Id(r) : Text(r);
                    yield return FuzzInput.Of("unknown type", Assemble(WithField(ValidFrame(r, Conversation()), "type", Json(type, r.Next(2) == 0))));
                    break;
                }
                case 7:
                {
                    var text = Assemble(ValidFrame(r, Conversation()));
                    var inString = StringPositions(text);   // "type" has a string value in every frame
                    int at = inString[r.Next(inString.Count)];
                    var bytes = Encoding.UTF8.GetBytes(text);   // ASCII: a byte per character
                    yield return new FuzzInput("invalid UTF-8 in a string", [.. bytes[..at], .. InvalidUtf8[r.Next(InvalidUtf8.Length)], .. bytes[at..]]);
                    break;
                }
                default:
                    yield return FuzzInput.Of("document", OddDocuments[r.Next(OddDocuments.Length)]);
                    break;
            }
        }
    }

    private static byte[] RandomBytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] Tokens =
        ["{", "}", "[", "]", ":", ",", "\"", "\"type\"", "\"ping\"", "\"message\"", "\"resume\"", "\"text\"", "\"lastSeq\"", "1", "-", "e", ".",
         "null", "true", "false", " ", "\\", "\\u", "d800", "\"clientId\"", "\"c1\"", "0", "9999999999999999999999"];

    private static string TokenSoup(Random r) => string.Concat(Enumerable.Range(0, r.Next(0, 30)).Select(_ => Tokens[r.Next(Tokens.Length)]));

    /// <summary>Indexes of the characters inside the JSON string values (between the quotes, names left out) of an ASCII document as <see cref="Assemble"/> writes it.</summary>
    private static List<int> StringPositions(string json)
    {
        var positions = new List<int>();
        bool inString = false, escaped = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                positions.Add(i);
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
            }
            else if (c == '"' && i > 0 && json[i - 1] == ':') inString = true;
        }
        return positions;
    }

    /// <summary>
    /// What the input is, read with <see cref="JsonDocument"/> (the same reader limits as the serializer's defaults) and
    /// the protocol's rules, written apart from the parser: a frame when it is one JSON object whose known fields
    /// (names matched ignoring case) all hold their kind or null, the last "type" a string; Either where the
    /// serializer decides (a number written as a string, other than a plain integer or a word; a name that is not UTF-8).
    /// </summary>
    public static Verdict Oracle(byte[] input, out string? type)
    {
        type = null;
        JsonDocument document;
        try { document = JsonDocument.Parse(input); }
        catch (JsonException) { return Verdict.Malformed; }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Verdict.Malformed;
            bool either = false;
            foreach (var property in root.EnumerateObject())
            {
                string name;
                try { name = property.Name; }
                catch (InvalidOperationException) { either = true; continue; }   // a name that is not UTF-8: the serializer takes some, refuses others
                var field = Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
                if (field.Name is null) continue;
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Null)
                {
                    if (field.Name == "type") type = null;
                    continue;
                }
                switch (field.Kind)
                {
                    case Kind.String:
                        if (value.ValueKind != JsonValueKind.String) return Verdict.Malformed;
                        try
                        {
                            var s = value.GetString();
                            if (field.Name == "type") type = s;
                        }
                        catch (InvalidOperationException) { return Verdict.Malformed; }   // not UTF-8, or a lone surrogate
                        break;
                    case Kind.Long:
                        if (value.ValueKind == JsonValueKind.String)
                        {
                            // The web defaults read a number from a string: a plain integer is one, a word is none, the
                            // rest (signs, exponents, spaces) as the serializer's number reader decides.
                            string? digits;
                            try { digits = value.GetString(); }
                            catch (InvalidOperationException) { return Verdict.Malformed; }
                            if (digits is null || digits.Length == 0 || digits.All(char.IsLetter)) return Verdict.Malformed;
                            bool integer = digits.TrimStart('-').All(char.IsAsciiDigit) && digits.LastIndexOf('-') <= 0 && digits != "-";
                            if (!integer) either = true;
                            else if (!long.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out _)) return Verdict.Malformed;
                        }
                        else if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out _)) return Verdict.Malformed;
                        break;
                    case Kind.Bool:
                        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return Verdict.Malformed;
                        break;
                }
            }
            if (either) return Verdict.Either;
            return type is null ? Verdict.Malformed : Verdict.Frame;
        }
    }

    /// <summary>The protocol's id rule (docs/protocol.md: 1–64 of [A-Za-z0-9_-]), written out without a regex.</summary>
    public static bool ValidId(string? id) =>
        id is { Length: >= 1 and <= 64 } && id.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-');

    /// <summary>
    /// The error code a customer's socket answers the input with, by the protocol (docs/protocol.md), for a socket in
    /// none of the frames' conversations; null for an input this test does not send (a frame that is valid and would
    /// be taken: hello, ping, a message opening a conversation).
    /// </summary>
    public static string? ExpectedCustomerError(byte[] input, int maxFrameBytes)
    {
        if (input.Length > maxFrameBytes) return "frame_too_large";
        if (SocketSession.Parse(input, out _) is not { } frame) return "malformed";
        return frame.Type switch
        {
            FrameTypes.Hello or FrameTypes.Ping => null,
            FrameTypes.Message when !ValidId(frame.ClientId) => "invalid",
            FrameTypes.Message when string.IsNullOrWhiteSpace(frame.Text) || frame.Text.Length > ConversationService.MaxTextLength => "invalid",
            FrameTypes.Message when frame.ConversationId is null => null,
            FrameTypes.Message => ValidId(frame.ConversationId) ? "not_found" : "invalid",
            FrameTypes.Resume when !ValidId(frame.ConversationId) || frame.LastSeq < 0 => "invalid",
            FrameTypes.Resume => "forbidden",
            FrameTypes.Typing or FrameTypes.Read or FrameTypes.Presence or FrameTypes.Ticket => "forbidden",
            FrameTypes.Transfer => "invalid",
            FrameTypes.End => ValidId(frame.ConversationId) ? "forbidden" : "invalid",
            _ => "unknown_type",
        };
    }
}
