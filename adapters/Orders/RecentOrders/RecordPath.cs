using System.Globalization;
using System.Text.Json;

namespace CustomerService.Orders.RecentOrders;

/// <summary>Paths into a JSON record, written as in the AdapterKit mappings: "a.b.0.c", alternatives split by '|'.</summary>
public static class RecordPath
{
    public static string[][] Parse(string path) =>
        path.Split('|', StringSplitOptions.TrimEntries).Select(alternative => alternative.Split('.')).ToArray();

    /// <summary>The first alternative that leads to a value other than null or "".</summary>
    public static JsonElement? Resolve(JsonElement record, string[][] path)
    {
        foreach (var alternative in path)
        {
            var current = record;
            bool found = true;
            foreach (var segment in alternative)
            {
                if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next)) current = next;
                else if (current.ValueKind == JsonValueKind.Array
                         && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                         && index < current.GetArrayLength()) current = current[index];
                else { found = false; break; }
            }
            if (found && current.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
                && !(current.ValueKind == JsonValueKind.String && current.GetString() is ""))
                return current;
        }
        return null;
    }

    /// <summary>The items of a list: an array's, one object's (XML writes a single child without an array), none.</summary>
    public static IEnumerable<JsonElement> Items(JsonElement? list) => list switch
    {
        { ValueKind: JsonValueKind.Array } array => array.EnumerateArray(),
        { ValueKind: JsonValueKind.Object or JsonValueKind.String } one => [one],
        _ => [],
    };

    /// <summary>A scalar as text: strings as they are, numbers as written.</summary>
    public static string? Text(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        _ => null,
    };
}
