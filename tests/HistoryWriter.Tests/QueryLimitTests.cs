using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;
using CustomerService.TestInfrastructure;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// A history query that runs past History:QueryTimeout is stopped by the engine and answered 504, so one tenant's
/// heavy search holds the engine (and with it the archive and every other tenant) that long at most.
/// </summary>
public sealed class QueryLimitTests : IAsyncLifetime
{
    private const string Tenant = "t-heavy";
    private const int Rows = 600_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(10);
    private NatsServer _nats = null!;
    private HistoryApp _app = null!;

    public async Task InitializeAsync()
    {
        _nats = await NatsServer.StartAsync();
        _app = new HistoryApp(_nats.Url, TestEngine.NewDatabase("limits"), "history-limits",
            settings: new Dictionary<string, string> { ["History:QueryTimeout"] = Timeout.ToString() });
        await _app.Store.ReadyAsync(default);
        // A month of a busy tenant, written by the engine itself (the archive's path is not what is tested here).
        await _app.Store.Database.ExecuteAsync($$"""
            INSERT INTO {{_app.Store.Schema.Messages}} ({{Storage.HistorySchema.MessageColumns}})
            SELECT {tenant:String}, concat('c-', toString(number % 5000)), number + 1, concat('m-', toString(number)), 'customer', 'c', 'C',
                concat('where is my order ', toString(number), ' 我的订单在哪里'), now64(3) - toIntervalSecond(number * 4), map(), [], 365, now64(3)
            FROM numbers({{Rows}})
            """, new Storage.QueryParameters().Add("tenant", Tenant), default);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _nats.DisposeAsync();
    }

    [Fact]
    public async Task A_search_longer_than_the_query_timeout_is_stopped_and_answered_504()
    {
        // Without the limit the same search runs well past it: the 504 below is the limit's doing, not a broken query.
        var unlimited = new HistoryQueries(_app.Store, TimeProvider.System, TimeSpan.FromMinutes(1));
        var criteria = new SearchCriteria("my order", null, null, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddMinutes(1), 50);
        var clock = Stopwatch.StartNew();
        await unlimited.SearchAsync(Tenant, criteria, default);
        var full = clock.Elapsed;
        Assert.True(full > Timeout * 4, $"the search took {full.TotalMilliseconds:0} ms: too fast to show a timeout of {Timeout.TotalMilliseconds} ms");

        // The 504 itself says the engine stopped the query (without the limit it answers 200). No race of clocks here:
        // on this shared machine an HTTP round trip can take as long as the whole search did a moment before.
        var response = await _app.ClientFor(Tenant, Roles.Agent).GetAsync("/api/history/search?q=" + Uri.EscapeDataString("my order"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.GatewayTimeout, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(504, problem.GetProperty("status").GetInt32());
        Assert.Equal("History query timed out", problem.GetProperty("title").GetString());
        Assert.Contains("History:QueryTimeout (0.01 s)", problem.GetProperty("detail").GetString());
        Assert.Equal(0.01, problem.GetProperty("timeoutSeconds").GetDouble());
    }
}
