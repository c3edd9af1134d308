using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.HistoryWriter.History;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// What once gave the pages HTTP 500: requests at the same time (the embedded engine mixed up the parameters of
/// concurrent statements: a query ran with another request's tenant, or failed with UNKNOWN_QUERY_PARAMETER), and
/// input the API let through to the engine or to date arithmetic. Bad input is a 400 with a ProblemDetails that says
/// what is wrong; nothing a client sends is a 500.
/// </summary>
public sealed class HistoryApiRobustnessTests(HistoryServiceFixture fixture) : IClassFixture<HistoryServiceFixture>
{
    private HistoryApp App => fixture.App;

    [Fact]
    public async Task Concurrent_requests_of_two_tenants_each_get_their_own_answer()
    {
        var data = new HistoryData();
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        foreach (var tenant in (string[])["t-race-a", "t-race-b"])
        {
            data.Started(tenant, tenant + "-conv", start, tenant + "-customer", "billing", bot: false);
            for (var seq = 1; seq <= 30; seq++)
                data.Message(tenant, tenant + "-conv", seq, seq % 2 == 0 ? ParticipantKind.Agent : ParticipantKind.Customer, tenant + "-user",
                    $"{tenant} line {seq}", start.AddSeconds(seq));
        }
        await App.Store.ReadyAsync(default);
        await data.StoreAsync(App.Store.Database, App.Store.Schema);

        var clients = new Dictionary<string, HttpClient>
        {
            ["t-race-a"] = App.ClientFor("t-race-a", Roles.Supervisor),
            ["t-race-b"] = App.ClientFor("t-race-b", Roles.Supervisor),
        };
        var failures = new ConcurrentQueue<string>();
        var random = new Random(5);
        var requests = Enumerable.Range(0, 120).Select(i => (Tenant: i % 2 == 0 ? "t-race-a" : "t-race-b", Kind: random.Next(5))).ToList();
        using var gate = new SemaphoreSlim(12);
        await Task.WhenAll(requests.Select(async r =>
        {
            await gate.WaitAsync();
            try
            {
                var other = r.Tenant == "t-race-a" ? "t-race-b" : "t-race-a";
                var url = r.Kind switch
                {
                    0 => $"/api/history/conversations/{r.Tenant}-conv/messages?limit=100",
                    1 => $"/api/history/conversations/{other}-conv/messages",
                    2 => "/api/history/search?q=" + Uri.EscapeDataString("line 1"),
                    3 => "/api/history/stats?bucket=hour",
                    _ => $"/api/history/conversations/{r.Tenant}-conv/export",
                };
                using var response = await clients[r.Tenant].GetAsync(url);
                var body = await response.Content.ReadAsStringAsync();
                var expected = r.Kind == 1 ? HttpStatusCode.Forbidden : HttpStatusCode.OK;
                if (response.StatusCode != expected)
                {
                    failures.Enqueue($"{r.Tenant} {url}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
                    return;
                }
                if (r.Kind is 0 or 2 or 4 && (body.Contains(other, StringComparison.Ordinal) || !body.Contains(r.Tenant + " line 1", StringComparison.Ordinal)))
                    failures.Enqueue($"{r.Tenant} {url}: another tenant's rows, or not its own: {body[..Math.Min(body.Length, 300)]}");
                if (r.Kind == 0 && JsonSerializer.Deserialize<TranscriptPage>(body, JsonSerializerOptions.Web)!.Messages.Count != 30)
                    failures.Enqueue($"{r.Tenant} {url}: not 30 messages");
                if (r.Kind == 3 && JsonSerializer.Deserialize<StatsReport>(body, JsonSerializerOptions.Web)!.Rows.Sum(x => x.Messages) != 30)
                    failures.Enqueue($"{r.Tenant} {url}: stats not over its own 30 messages: {body[..Math.Min(body.Length, 300)]}");
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Count} requests went wrong, e.g.:\n" + string.Join("\n", failures.Take(5)));
    }

    [Theory]
    [InlineData("/api/history/search?limit=abc", "limit")]
    [InlineData("/api/history/search?from=yesterday", "from")]
    [InlineData("/api/history/search?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("/api/history/search?from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z", "from")]
    [InlineData("/api/history/search?q=%20&limit=0", "limit")]
    [InlineData("/api/history/stats?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("/api/history/stats?from=1000-01-01T00:00:00Z&to=1000-01-02T00:00:00Z", "from")]
    [InlineData("/api/history/stats?tz=Mars/Olympus", "tz")]
    [InlineData("/api/history/stats?tz=", "tz")]
    [InlineData("/api/history/stats?bucket=week", "bucket")]
    [InlineData("/api/history/stats?by=customer", "by")]
    [InlineData("/api/history/conversations/x/messages?after=abc", "after")]
    [InlineData("/api/history/conversations/x/messages?limit=99999999999", "limit")]
    [InlineData("/api/history/conversations/x/messages?before=0", "before")]
    [InlineData("/api/history/parked?limit=-1", "limit")]
    [InlineData("/api/history/parked?before=yesterday", "before")]
    [InlineData("/api/history/search?from=2020-01-01T00:00:00Z&to=2020-06-01T00:00:00Z", "from")]
    public async Task Bad_input_is_a_400_problem_that_names_the_parameter(string url, string parameter)
    {
        var response = await App.ClientFor("t-bad", Roles.Admin).GetAsync(url);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Fact]
    public async Task A_search_covers_at_most_92_days_and_a_wider_one_is_a_400_that_names_the_limit()
    {
        var client = App.ClientFor("t-range", Roles.Agent);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/history/search?from=2020-01-01T00:00:00Z&to=2020-04-02T00:00:00Z")).StatusCode);

        foreach (var url in (string[])["/api/history/search?from=2020-01-01T00:00:00Z&to=2020-04-02T00:00:01Z",
                     "/api/history/search?q=x&from=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddYears(-1).ToString("O"))])
        {
            var response = await client.GetAsync(url);
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "from");
            var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
            Assert.Contains("at most 92 days (History:SearchMaxRange)", detail);
        }
    }

    [Theory]
    [InlineData("not json", "setting")]
    [InlineData("{\"days\": \"many\"}", "setting")]
    [InlineData("{\"days\": 0}", "days")]
    public async Task A_bad_retention_body_is_a_400_problem(string body, string parameter)
    {
        var response = await App.ClientFor("t-bad", Roles.Admin).PutAsync("/api/history/retention",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, parameter);
    }

    [Theory]
    [InlineData("China Standard Time", "Asia/Shanghai")]
    [InlineData("Asia/Shanghai", "Asia/Shanghai")]
    [InlineData("UTC", "UTC")]
    public async Task A_time_zone_the_engine_knows_or_a_windows_name_for_one_is_answered(string zone, string used)
    {
        var report = await App.ClientFor("t-zone", Roles.Supervisor)
            .GetFromJsonAsync<StatsReport>("/api/history/stats?bucket=day&tz=" + Uri.EscapeDataString(zone), JsonSerializerOptions.Web);
        Assert.Equal(used, report!.TimeZone);
        Assert.Empty(report.Rows);
    }

    [Fact]
    public async Task Empty_answers_are_answers()
    {
        var client = App.ClientFor("t-empty", Roles.Admin);
        Assert.Empty((await client.GetFromJsonAsync<SearchResult>("/api/history/search?q=nothing", JsonSerializerOptions.Web))!.Hits);
        Assert.Empty((await client.GetFromJsonAsync<StatsReport>("/api/history/stats?by=agent", JsonSerializerOptions.Web))!.Rows);
        Assert.Empty((await client.GetFromJsonAsync<ParkedPage>("/api/history/parked", JsonSerializerOptions.Web))!.Parked);
        await AssertProblemAsync(await client.GetAsync("/api/history/conversations/none/messages"), HttpStatusCode.NotFound, null);
        await AssertProblemAsync(await client.GetAsync("/api/history/conversations/none/export"), HttpStatusCode.NotFound, null);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? parameter)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (parameter is null) return;
        var field = problem.TryGetProperty("field", out var f) ? f.GetString() : null;
        var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
        Assert.True(field == parameter || (detail?.Contains(parameter, StringComparison.Ordinal) ?? false),
            $"the problem names neither field nor detail '{parameter}': {body}");
    }
}
