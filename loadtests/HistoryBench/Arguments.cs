namespace CustomerService.HistoryBench;

/// <summary>--name value pairs.</summary>
internal sealed class Arguments(Dictionary<string, string> values)
{
    public static Arguments Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>();
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal)) name = arg[2..];
            else if (name is not null) { values[name] = arg; name = null; }
        }
        return new Arguments(values);
    }

    public long Long(string name, long fallback) => values.TryGetValue(name, out var v) ? long.Parse(v) : fallback;
    public string Text(string name, string fallback) => values.GetValueOrDefault(name, fallback);
}
