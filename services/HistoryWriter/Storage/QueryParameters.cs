using System.Globalization;
using System.Text;

namespace CustomerService.HistoryWriter.Storage;

/// <summary>
/// Values for the {name:Type} placeholders of one statement. Values never enter the SQL text: the engine binds them
/// after parsing, so a search string full of quotes and SQL is just a string.
/// </summary>
internal sealed class QueryParameters
{
    private readonly List<KeyValuePair<string, object>> _values = new(8);

    public IReadOnlyList<KeyValuePair<string, object>> Values => _values;

    public QueryParameters Add(string name, string value)
    {
        _values.Add(new(name, value));
        return this;
    }

    public QueryParameters Add(string name, long value)
    {
        _values.Add(new(name, value));
        return this;
    }

    /// <summary>
    /// The text form ClickHouse reads parameter values in (the HTTP interface's param_ arguments carry the same): the
    /// "Escaped" format, where a backslash starts an escape and a raw tab or newline would end the value.
    /// </summary>
    public static string ToEscapedText(object value) => value switch
    {
        string s => Escape(s),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"unsupported parameter type {value.GetType()}"),
    };

    private static string Escape(string value)
    {
        if (value.AsSpan().IndexOfAny("\\\t\n\r\0\b\f") < 0) return value;
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            var escaped = c switch
            {
                '\\' => "\\\\",
                '\t' => "\\t",
                '\n' => "\\n",
                '\r' => "\\r",
                '\0' => "\\0",
                '\b' => "\\b",
                '\f' => "\\f",
                _ => null,
            };
            if (escaped is null) builder.Append(c);
            else builder.Append(escaped);
        }
        return builder.ToString();
    }
}
