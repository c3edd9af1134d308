using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace CustomerService.ChatLoad.Scenarios;

/// <summary>
/// The supervisor journey: reads through the gateway at a rate while the phases play, in turn a transcript of one of
/// the run's conversations (<c>history</c>), a search (<c>search</c>) and the BI figures of the day by agent
/// (<c>report</c>), each with its own latency (docs/history.md). Reads start on a fixed schedule whatever the answers
/// (at most 8 in flight; one that finds 8 waiting is counted as an error of its step): a slow archive shows as
/// latency and errors, not as a lower rate. A 429 is an error and counted as a refusal.
/// </summary>
public sealed class SupervisorReads(Uri gateway, string token, double rate, Func<string?> anyConversation, JourneyStats stats, Action refused)
{
    private const int MaxInFlight = 8;
    public static readonly string[] Steps = ["history", "search", "report"];

    public async Task RunAsync(Func<double> elapsed, double until, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var step in Steps) stats.Expect(ScenarioKind.Supervisor, step);
        var inFlight = new SemaphoreSlim(MaxInFlight);
        var reads = new List<Task>();
        var interval = TimeSpan.FromSeconds(1 / rate);
        var clock = Stopwatch.StartNew();
        try
        {
            for (long n = 0; elapsed() < until && !ct.IsCancellationRequested; n++)
            {
                var step = Steps[n % Steps.Length];
                var due = interval * n - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, ct);
                if (!inFlight.Wait(0)) { stats.Failed(ScenarioKind.Supervisor, step); continue; }
                reads.Add(ReadAsync(http, step, inFlight, ct));
                reads.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        await Task.WhenAll(reads);
    }

    private async Task ReadAsync(HttpClient http, string step, SemaphoreSlim inFlight, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var path = Path(step);
            if (path is null) { stats.Failed(ScenarioKind.Supervisor, step); return; }
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused();
            // A transcript HistoryWriter has not archived yet is a 404: an answer, not an error of the platform.
            if (response.IsSuccessStatusCode || (step == "history" && response.StatusCode == HttpStatusCode.NotFound)) stats.Done(ScenarioKind.Supervisor, step, start);
            else stats.Failed(ScenarioKind.Supervisor, step);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { stats.Failed(ScenarioKind.Supervisor, step); }
        finally { inFlight.Release(); }
    }

    private string? Path(string step)
    {
        var today = DateTime.UtcNow.Date;
        return step switch
        {
            "history" => anyConversation() is { } c ? $"/api/history/conversations/{c}/messages?after=0&limit=100" : null,
            "search" => "/api/history/search?q=hello&limit=20",
            _ => $"/api/history/stats?from={today:yyyy-MM-dd}&to={today.AddDays(1):yyyy-MM-dd}&bucket=hour&by=agent",
        };
    }
}
