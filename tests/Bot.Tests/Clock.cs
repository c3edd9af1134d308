namespace CustomerService.Bot.Tests;

/// <summary>A clock a test sets to any instant, earlier ones included.</summary>
internal sealed class Clock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
