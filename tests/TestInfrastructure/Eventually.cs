namespace CustomerService.TestInfrastructure;

/// <summary>
/// The one waiter of the tests: polls a real signal until it holds, and when the time is up fails saying what it
/// waited for (and, when given, what the service printed meanwhile). A wait is never a fixed sleep.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <param name="context">Added to the failure, e.g. the output of the service waited on.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, TimeSpan? interval = null, Func<string>? context = null)
    {
        for (var deadline = DateTime.UtcNow + timeout; DateTime.UtcNow < deadline; await Task.Delay(interval ?? DefaultInterval))
            if (await condition()) return;
        throw new TimeoutException($"not within {timeout.TotalSeconds:F0} s: {what}" + (context is null ? "" : "\n" + context()));
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan timeout) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);
}
