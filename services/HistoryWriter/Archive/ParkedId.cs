using System.Globalization;

namespace CustomerService.HistoryWriter.Archive;

/// <summary>
/// A parked message's name: its stream and its sequence there, as the parked table is keyed (with the tenant), written
/// "CHAT_MESSAGES-42". Stream names hold no '-'.
/// </summary>
internal readonly record struct ParkedId(string Stream, ulong StreamSeq)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Stream}-{StreamSeq}");

    public static bool TryParse(string? text, out ParkedId id)
    {
        id = default;
        var dash = text?.LastIndexOf('-') ?? -1;
        if (dash <= 0 || !ulong.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)) return false;
        var stream = text![..dash];
        if (stream is not (ChatStreams.Messages or ChatStreams.Events)) return false;
        id = new ParkedId(stream, seq);
        return true;
    }
}

/// <summary>
/// Where a page of parked messages ends, for the next one: the last one's parked time and id ("1764880000000-CHAT_MESSAGES-42").
/// </summary>
internal readonly record struct ParkedCursor(long ParkedAtMs, ParkedId Id)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ParkedAtMs}-{Id}");

    public static bool TryParse(string? text, out ParkedCursor cursor)
    {
        cursor = default;
        var dash = text?.IndexOf('-') ?? -1;
        if (dash <= 0 || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var at)
            || !ParkedId.TryParse(text![(dash + 1)..], out var id)) return false;
        cursor = new ParkedCursor(at, id);
        return true;
    }
}
