using CustomerService.Bot.Knowledge;

namespace CustomerService.Bot.Rules;

/// <summary>A tenant's <see cref="BusinessHours"/> ready to answer "is anyone working now?" in the tenant's time zone.</summary>
internal sealed class OpeningSchedule
{
    private static readonly (TimeOnly Open, TimeOnly Close)[] AllDay = [(TimeOnly.MinValue, TimeOnly.MinValue)];

    private readonly (TimeOnly Open, TimeOnly Close)[][] _byDay = new (TimeOnly, TimeOnly)[7][];
    private readonly HashSet<DateOnly> _closed;
    private readonly TimeZoneInfo _zone;
    private readonly bool _alwaysOpen;

    public OpeningSchedule(BusinessHours hours)
    {
        _zone = TimeZoneInfo.FindSystemTimeZoneById(hours.TimeZone);
        _closed = [.. hours.Closed];
        for (var day = 0; day < 7; day++)
        {
            _byDay[day] = hours.Weekly.Count == 0 && !hours.OnlyWeekly
                ? AllDay
                : hours.Weekly.Where(w => w.Days.Contains((DayOfWeek)day)).Select(w => (w.Open, w.Close)).ToArray();
        }
        _alwaysOpen = hours.Weekly.Count == 0 && _closed.Count == 0 && !hours.OnlyWeekly;
    }

    public bool IsOpen(DateTimeOffset now)
    {
        if (_alwaysOpen) return true;
        var local = TimeZoneInfo.ConvertTime(now, _zone).DateTime;
        var today = DateOnly.FromDateTime(local);
        var time = TimeOnly.FromDateTime(local);
        if (!_closed.Contains(today))
        {
            foreach (var (open, close) in _byDay[(int)today.DayOfWeek])
            {
                if (time >= open && (close <= open || time < close)) return true;
            }
        }
        // The early-morning tail of a shift that began yesterday evening (e.g. 20:00-02:00).
        var yesterday = today.AddDays(-1);
        if (!_closed.Contains(yesterday))
        {
            foreach (var (open, close) in _byDay[(int)yesterday.DayOfWeek])
            {
                if (close <= open && time < close) return true;
            }
        }
        return false;
    }
}
