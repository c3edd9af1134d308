using CustomerService.Bot.Knowledge;
using CustomerService.Bot.Rules;

namespace CustomerService.Bot.Tests;

public class OpeningScheduleTests
{
    private static readonly OpeningSchedule Shanghai = new(SampleKnowledge.Chinese.Settings.BusinessHours);
    private static readonly OpeningSchedule LosAngeles = new(SampleKnowledge.English.Settings.BusinessHours);

    [Theory]
    [InlineData("2026-03-02T00:59:00Z", false)]   // 08:59 in Shanghai
    [InlineData("2026-03-02T01:00:00Z", true)]    // 09:00
    [InlineData("2026-03-02T12:59:00Z", true)]    // 20:59
    [InlineData("2026-03-02T13:00:00Z", false)]   // 21:00
    [InlineData("2026-03-07T03:00:00Z", true)]    // Saturday 11:00: open every day
    [InlineData("2026-10-01T03:00:00Z", false)]   // National Day, closed
    [InlineData("2026-09-30T16:30:00Z", false)]   // 00:30 on 1 October in Shanghai, still 30 September in UTC
    public void Shanghai_hours_are_read_in_Shanghai_time(string utc, bool open)
    {
        Assert.Equal(open, Shanghai.IsOpen(DateTimeOffset.Parse(utc)));
    }

    [Theory]
    [InlineData("2026-01-05T16:59:00Z", false)]   // Monday 08:59 PST (UTC-8)
    [InlineData("2026-01-05T17:00:00Z", true)]    // 09:00 PST
    [InlineData("2026-07-06T16:00:00Z", true)]    // Monday 09:00 PDT (UTC-7): daylight saving moves the opening
    [InlineData("2026-07-06T15:59:00Z", false)]
    [InlineData("2026-01-10T18:00:00Z", false)]   // Saturday
    [InlineData("2026-01-06T00:30:00Z", true)]    // Monday 16:30 in LA, already Tuesday in UTC
    public void Los_Angeles_hours_follow_daylight_saving(string utc, bool open)
    {
        Assert.Equal(open, LosAngeles.IsOpen(DateTimeOffset.Parse(utc)));
    }

    [Theory]
    [InlineData("2026-03-06T13:00:00Z", true)]    // Friday 21:00 in Shanghai: the night shift starts
    [InlineData("2026-03-06T18:59:00Z", true)]    // Saturday 02:59, the tail of Friday's shift
    [InlineData("2026-03-06T19:00:00Z", false)]   // Saturday 03:00
    [InlineData("2026-03-07T13:00:00Z", false)]   // Saturday 21:00: no shift starts on Saturday
    public void A_shift_may_run_past_midnight(string utc, bool open)
    {
        var nightShift = new OpeningSchedule(new BusinessHours
        {
            TimeZone = "Asia/Shanghai",
            Weekly = [new OpeningHours { Days = [DayOfWeek.Friday], Open = new TimeOnly(21, 0), Close = new TimeOnly(3, 0) }],
        });
        Assert.Equal(open, nightShift.IsOpen(DateTimeOffset.Parse(utc)));
    }

    [Fact]
    public void No_weekly_hours_means_always_open()
    {
        Assert.True(new OpeningSchedule(new BusinessHours()).IsOpen(DateTimeOffset.Parse("2026-01-01T03:00:00Z")));
    }
}
