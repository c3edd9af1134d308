using System.Globalization;

namespace CustomerService.LiveConfig;

/// <summary>Section <c>tenant_settings</c>: bot-first, time zone, business hours and when the bot hands off.</summary>
public sealed record TenantSettings : IConfigSection<TenantSettings>
{
    public static string SectionName => ConfigSections.TenantSettings;
    public static TenantSettings Empty { get; } = new();

    /// <summary>New conversations go to the bot first; off: straight to routing.</summary>
    public bool BotFirst { get; set; } = true;
    /// <summary>IANA time zone of the business hours, e.g. Asia/Shanghai.</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Null: open around the clock.</summary>
    public BusinessHours? BusinessHours { get; set; }
    public HandoffThresholds Handoff { get; set; } = new();

    /// <summary>Whether human agents are on duty at <paramref name="now"/>.</summary>
    public bool IsOpen(DateTimeOffset now)
    {
        if (BusinessHours is null) return true;
        var local = TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone) ? TimeZoneInfo.ConvertTime(now, zone) : now.ToUniversalTime();
        var date = DateOnly.FromDateTime(local.DateTime);
        foreach (var closed in BusinessHours.ClosedDates)
            if (DateOnly.TryParseExact(closed, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d == date) return false;
        var minute = local.Hour * 60 + local.Minute;
        foreach (var range in BusinessHours.On(local.DayOfWeek))
            if (BusinessHours.TryParseTime(range.Open, out var open) && BusinessHours.TryParseTime(range.Close, out var close)
                && minute >= open && minute < close) return true;
        return false;
    }

    public void Validate(ValidationErrors errors)
    {
        errors.Required("time_zone", TimeZone, 100);
        if (!string.IsNullOrWhiteSpace(TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            errors.Add("time_zone", $"'{TimeZone}' is not a known time zone.");
        BusinessHours?.Validate("business_hours", errors);
        errors.Range("handoff.max_bot_turns", Handoff.MaxBotTurns, 0, 100);
        errors.Range("handoff.min_bot_confidence", Handoff.MinBotConfidence, 0, 1);
        errors.MaxCount("handoff.keywords", Handoff.Keywords, 100);
        for (var i = 0; i < Handoff.Keywords.Count; i++)
        {
            errors.Required($"handoff.keywords[{i}]", Handoff.Keywords[i], 100);
            if (!string.IsNullOrWhiteSpace(Handoff.Keywords[i]) && TextFolding.FoldAndStrip(Handoff.Keywords[i]).Length == 0)
                errors.Add($"handoff.keywords[{i}]", "has no letters or digits.");
        }
    }
}

/// <summary>Opening hours per weekday in the tenant's time zone ("HH:mm", close "24:00" for midnight), and closed dates.</summary>
public sealed record BusinessHours
{
    public IReadOnlyList<OpeningHours> Monday { get; set; } = [];
    public IReadOnlyList<OpeningHours> Tuesday { get; set; } = [];
    public IReadOnlyList<OpeningHours> Wednesday { get; set; } = [];
    public IReadOnlyList<OpeningHours> Thursday { get; set; } = [];
    public IReadOnlyList<OpeningHours> Friday { get; set; } = [];
    public IReadOnlyList<OpeningHours> Saturday { get; set; } = [];
    public IReadOnlyList<OpeningHours> Sunday { get; set; } = [];
    /// <summary>Holidays, "yyyy-MM-dd": closed all day.</summary>
    public IReadOnlyList<string> ClosedDates { get; set; } = [];

    public IReadOnlyList<OpeningHours> On(DayOfWeek day) => day switch
    {
        DayOfWeek.Monday => Monday,
        DayOfWeek.Tuesday => Tuesday,
        DayOfWeek.Wednesday => Wednesday,
        DayOfWeek.Thursday => Thursday,
        DayOfWeek.Friday => Friday,
        DayOfWeek.Saturday => Saturday,
        _ => Sunday,
    };

    /// <summary>Minutes since midnight of "HH:mm" (00:00..24:00).</summary>
    public static bool TryParseTime(string? text, out int minutes)
    {
        minutes = 0;
        if (text is not { Length: 5 } || text[2] != ':'
            || !int.TryParse(text.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !int.TryParse(text.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || m > 59 || h > 24 || (h == 24 && m != 0)) return false;
        minutes = h * 60 + m;
        return true;
    }

    internal void Validate(string path, ValidationErrors errors)
    {
        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            var ranges = On(day);
            var dayPath = $"{path}.{day.ToString().ToLowerInvariant()}";
            errors.MaxCount(dayPath, ranges, 10);
            for (var i = 0; i < ranges.Count; i++)
            {
                var ok = true;
                if (!TryParseTime(ranges[i].Open, out var open) || open == 24 * 60) { errors.Add($"{dayPath}[{i}].open", "must be a time HH:mm before 24:00."); ok = false; }
                if (!TryParseTime(ranges[i].Close, out var close)) { errors.Add($"{dayPath}[{i}].close", "must be a time HH:mm (24:00 for midnight)."); ok = false; }
                if (ok && close <= open) errors.Add($"{dayPath}[{i}].close", "must be after open.");
            }
        }
        for (var i = 0; i < ClosedDates.Count; i++)
            if (!DateOnly.TryParseExact(ClosedDates[i], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                errors.Add($"{path}.closed_dates[{i}]", "must be a date yyyy-MM-dd.");
    }
}

public sealed record OpeningHours
{
    public string Open { get; set; } = "";
    public string Close { get; set; } = "";
}

/// <summary>When the bot gives a conversation to a human.</summary>
public sealed record HandoffThresholds
{
    /// <summary>Customer messages the bot answers before offering an agent; 0: never by count.</summary>
    public int MaxBotTurns { get; set; } = 3;
    /// <summary>Below this confidence of the predictor the bot hands off rather than guess.</summary>
    public double MinBotConfidence { get; set; } = 0.6;
    /// <summary>Words that ask for a human ("人工", "agent").</summary>
    public IReadOnlyList<string> Keywords { get; set; } = ["人工", "转人工", "agent", "human"];
}
