namespace CustomerService.TestInfrastructure;

/// <summary>
/// The one waiter of the tests: polls a real signal until it holds, and when the time is up fails saying what it
/// waited for, the last value or error it saw, and (when given) what the service printed meanwhile. A wait is never a
/// fixed sleep.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <param name="context">Added to the failure, e.g. the output of the service waited on.</param>
    /// <param name="notYet">Errors that mean the signal is not there yet (a refused connection, a 404 before a write
    /// lands): polled again, the last one named in the failure. Any other error fails at once.</param>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, TimeSpan? interval = null,
        Func<string>? context = null, Func<Exception, bool>? notYet = null) =>
        GetAsync(condition, held => held, what, timeout, interval, context, notYet);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan timeout, TimeSpan? interval = null, Func<string>? context = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, interval, context);

    /// <summary>Reads until what it read is <paramref name="done"/>, and returns that.</summary>
    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, string, TimeSpan, TimeSpan?, Func{string}?, Func{Exception, bool}?)"/>
    public static async Task<T> GetAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan timeout, TimeSpan? interval = null,
        Func<string>? context = null, Func<Exception, bool>? notYet = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            object? last;
            try
            {
                var value = await read();
                if (done(value)) return value;
                last = value;
            }
            catch (Exception e) when (notYet?.Invoke(e) == true)
            {
                last = e.GetType().Name + ": " + e.Message;
            }
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s: {what}"
                    + (last is bool ? "" : $"; last: {last}") + (context is null ? "" : "\n" + context()));
            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>For <c>notYet</c>: an HTTP request that failed (refused, or answered with an error status).</summary>
    public static bool HttpFailed(Exception e) => e is HttpRequestException;
}
