namespace CustomerService.HistoryWriter.Storage;

/// <summary>ClickHouse error texts start with their code ("Code: 469. DB::Exception: ..."), over every interface.</summary>
internal static class ClickHouseErrorCode
{
    public const int TimeoutExceeded = 159;
    public const int ViolatedConstraint = 469;

    public static int Parse(string message)
    {
        const string prefix = "Code: ";
        var at = message.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0) return 0;
        var digits = message.AsSpan(at + prefix.Length);
        var end = digits.IndexOfAnyExceptInRange('0', '9');
        return int.TryParse(end < 0 ? digits : digits[..end], out var code) ? code : 0;
    }
}
