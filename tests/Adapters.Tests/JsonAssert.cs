using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomerService.Adapters.Tests;

/// <summary>Compares JSON as trees: same structure, same property order, numbers equal as numbers.</summary>
internal static class JsonAssert
{
    public static void Equal(string expected, string actual, string? because = null)
    {
        var options = new JsonDocumentOptions { MaxDepth = 600 };
        var difference = Difference(JsonNode.Parse(expected, documentOptions: options), JsonNode.Parse(actual, documentOptions: options), "$");
        if (difference is not null)
            Xunit.Assert.Fail($"{difference}{(because is null ? "" : $"\n{because}")}\nexpected: {expected}\nactual:   {actual}");
    }

    private static string? Difference(JsonNode? expected, JsonNode? actual, string path)
    {
        if (expected is null || actual is null)
            return expected is null && actual is null ? null : $"{path}: expected {expected?.ToJsonString() ?? "null"}, got {actual?.ToJsonString() ?? "null"}";
        if (expected.GetValueKind() != actual.GetValueKind()
            && !(IsBool(expected) && IsBool(actual)))
            return $"{path}: expected {expected.GetValueKind()} {expected.ToJsonString()}, got {actual.GetValueKind()} {actual.ToJsonString()}";

        switch (expected)
        {
            case JsonObject eo:
            {
                var ao = actual.AsObject();
                var ek = eo.Select(p => p.Key).ToList();
                var ak = ao.Select(p => p.Key).ToList();
                if (!ek.SequenceEqual(ak))
                    return $"{path}: expected keys [{string.Join(", ", ek.Select(Show))}], got [{string.Join(", ", ak.Select(Show))}]";
                foreach (var (key, value) in eo)
                    if (Difference(value, ao[key], $"{path}.{Show(key)}") is { } d) return d;
                return null;
            }
            case JsonArray ea:
            {
                var aa = actual.AsArray();
                if (ea.Count != aa.Count) return $"{path}: expected {ea.Count} items, got {aa.Count}";
                for (int i = 0; i < ea.Count; i++)
                    if (Difference(ea[i], aa[i], $"{path}[{i}]") is { } d) return d;
                return null;
            }
            default:
            {
                var e = expected.GetValue<JsonElement>();
                var a = actual.GetValue<JsonElement>();
                if (e.ValueKind == JsonValueKind.Number)
                {
                    if (e.TryGetDecimal(out var ed) && a.TryGetDecimal(out var ad)) return ed == ad ? null : $"{path}: expected {ed}, got {ad}";
                    return e.GetDouble().Equals(a.GetDouble()) ? null : $"{path}: expected {e.GetRawText()}, got {a.GetRawText()}";
                }
                if (e.ValueKind == JsonValueKind.String)
                    return e.GetString() == a.GetString() ? null : $"{path}: expected {e.GetRawText()}, got {a.GetRawText()}";
                return e.ValueKind == a.ValueKind ? null : $"{path}: expected {e.GetRawText()}, got {a.GetRawText()}";
            }
        }
    }

    private static bool IsBool(JsonNode node) => node.GetValueKind() is JsonValueKind.True or JsonValueKind.False;

    private static string Show(string key) => JsonSerializer.Serialize(key);
}
