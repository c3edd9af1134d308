using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CustomerService.Contracts;
using CustomerService.TestInfrastructure;
using Google.Protobuf;
using NATS.Client.JetStream;
using CustomerService.Webhooks.Delivery;
using CustomerService.Webhooks.Registrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;
using static CustomerService.Webhooks.Tests.WebhookFixture;

namespace CustomerService.Webhooks.Tests;

/// <summary>
/// Address filtering (SSRF) at registration and at connect time, secret rotation with an overlap where both secrets
/// sign, and the per-webhook circuit breaker: real NATS, PostgreSQL and Kestrel receivers.
/// </summary>
[Collection(WebhookCollection.Name)]
public sealed class HardeningTests(WebhookFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task A_payload_naming_another_tenant_than_its_subject_reaches_no_tenants_webhooks()
    {
        var (victim, writer) = (NewTenant("t-victim"), NewTenant("t-writer"));
        var (victimHook, writerHook) = ("victim-" + victim, "writer-" + writer);
        using var victimApi = fixture.Host.Api(victim);
        var (victimWebhook, _) = await RegisterAsync(victimApi, fixture.Receiver.Url(victimHook), "message_created");
        using (var api = fixture.Host.Api(writer)) await RegisterAsync(api, fixture.Receiver.Url(writerHook), "message_created");
        var conversation = "c-" + Guid.NewGuid().ToString("N")[..8];

        // On the writer's subject, a message whose payload says it is the victim's.
        var forged = Message(victim, conversation, 1, "forged");
        var ack = await fixture.JetStream.PublishAsync(Subjects.Message(writer, conversation), forged.ToByteArray(),
            opts: new NatsJSPubOpts { MsgId = "forged-" + forged.MessageId });
        ack.EnsureSuccess();
        var marker = Message(writer, conversation, 2, "marker");
        await fixture.PublishAsync(marker);

        // In stream order: once the writer's marker is delivered, the forged message has been handled.
        await Eventually.UntilAsync(() => fixture.Receiver.At(writerHook).Any(r => r.Text.Contains(marker.MessageId)), "the writer's marker delivered", Patience);
        // Deliveries are stored in stream order before the message is acknowledged: none was stored for the victim.
        Assert.Equal(0, (await victimApi.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/deliveries?webhook_id={victimWebhook}")).GetArrayLength());
        Assert.Empty(fixture.Receiver.At(victimHook));
        Assert.DoesNotContain(fixture.Receiver.At(writerHook), r => r.Text.Contains(forged.MessageId));
    }

    [Theory]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://172.16.3.4/hook")]
    [InlineData("http://192.168.1.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://127.0.0.2:8080/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[fd12:3456::1]/hook")]
    [InlineData("http://[::ffff:10.0.0.1]/hook")]
    [InlineData("http://[64:ff9b::a00:1]/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://api.localhost/hook")]
    public async Task A_url_on_a_non_public_address_is_refused_on_the_url_field_and_nothing_is_stored(string url)
    {
        var tenant = NewTenant("t-ssrf");
        using var api = fixture.Host.Api(tenant);

        using var created = await api.PostAsJsonAsync("/api/admin/webhooks", new { url, events = new[] { "message_created" } });

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        var errors = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["url"], errors.EnumerateObject().Select(p => p.Name));
        Assert.Contains("public", errors.GetProperty("url")[0].GetString());
        Assert.Empty(await api.GetFromJsonAsync<JsonElement[]>("/api/admin/webhooks") ?? []);

        // Nor can an existing webhook be pointed there.
        var (id, _) = await RegisterAsync(api, fixture.Receiver.Url("ssrf-ok"), "message_created");
        using var updated = await api.PutAsJsonAsync($"/api/admin/webhooks/{id}", new { url, events = new[] { "message_created" } });
        Assert.Equal(HttpStatusCode.BadRequest, updated.StatusCode);
        Assert.Equal(fixture.Receiver.Url("ssrf-ok"), (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}")).GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_webhook_whose_address_turned_private_after_registration_is_refused_at_connect_time()
    {
        // A receiver on 127.0.0.2, outside the tests' allow-list (127.0.0.1/32). The row goes straight into the table,
        // as if its name had resolved to a public address at registration and to this one since (DNS rebinding).
        await using var inside = await Receiver.StartAsync("127.0.0.2");
        var tenant = NewTenant("t-rebind");
        var webhookId = Guid.CreateVersion7();
        await using (var db = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString("webhookdb")))
        await using (var insert = db.CreateCommand("INSERT INTO webhooks (id, tenant_id, url, secret, events) VALUES ($1, $2, $3, 'whsec_x', $4)"))
        {
            insert.Parameters.Add(new() { Value = webhookId });
            insert.Parameters.Add(new() { Value = tenant });
            insert.Parameters.Add(new() { Value = inside.Url("internal") });
            insert.Parameters.Add(new() { Value = new[] { "message_created" } });
            await insert.ExecuteNonQueryAsync();
        }
        // Written behind the API's back, so no replica was told: wait until the cache the consumer matches against
        // has reloaded it (every 200 ms here).
        var subscriptions = fixture.Host.Services.GetRequiredService<SubscriptionCache>();
        await Eventually.UntilAsync(async () => (await subscriptions.MatchingAsync(tenant, "message_created", default)).Any(s => s.Id == webhookId),
            "the inserted registration among the subscriptions Webhooks matches", Patience);

        await fixture.PublishAsync(Message(tenant, "c-rebind", 1, "secret internal data"));

        using var api = fixture.Host.Api(tenant);
        JsonElement[] deliveries = [];
        await Eventually.UntilAsync(async () =>
        {
            deliveries = await api.GetFromJsonAsync<JsonElement[]>($"/api/admin/webhooks/deliveries?webhook_id={webhookId}") ?? [];
            return deliveries.Length == 1 && deliveries[0].GetProperty("attempts").GetInt32() >= 1;
        }, "an attempt recorded", Patience);
        var error = deliveries[0].GetProperty("last_error").GetString();
        Assert.Contains("refused to connect", error);
        Assert.Contains("127.0.0.2", error);
        Assert.True(deliveries[0].GetProperty("last_status").ValueKind == JsonValueKind.Null);
        Assert.Empty(inside.All);
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_sign_during_the_overlap_and_only_the_new_one_after()
    {
        var tenant = NewTenant("t-rotate");
        var hook = "rotate-" + tenant;
        using var api = fixture.Host.Api(tenant);
        var (id, first) = await RegisterAsync(api, fixture.Receiver.Url(hook), "message_created");

        using var invalid = await api.PostAsync($"/api/admin/webhooks/{id}/secret?overlap_seconds=-5", null);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.True((await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("overlap_seconds", out _));
        Assert.Equal(first, (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}/secret")).GetProperty("secret").GetString());

        using var rotated = await api.PostAsync($"/api/admin/webhooks/{id}/secret?overlap_seconds=3600", null);
        var answer = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var second = answer.GetProperty("secret").GetString()!;
        var expires = answer.GetProperty("previous_secret_expires_at").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        await fixture.PublishAsync(Message(tenant, "c-rotate", 1, "during the overlap"));
        var during = await NextAsync(hook, 1);

        var parts = during.Signature!.Split(',');
        Assert.Equal(2, parts.Length);
        Assert.Equal(Mac(second, during), parts[0]);
        Assert.Equal(Mac(first, during), parts[1]);
        Assert.True(WebhookSignature.Verify(first, during.Timestamp, during.Signature, during.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.True(WebhookSignature.Verify(second, during.Timestamp, during.Signature, during.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));

        // Rotating again without overlap: only the newest signs.
        using var again = await api.PostAsync($"/api/admin/webhooks/{id}/secret?overlap_seconds=0", null);
        var third = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        await fixture.PublishAsync(Message(tenant, "c-rotate", 2, "after"));
        var after = await NextAsync(hook, 2);

        Assert.Equal(Mac(third, after), after.Signature);
        Assert.False(WebhookSignature.Verify(second, after.Timestamp, after.Signature, after.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.True((await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}/secret")).GetProperty("previous_secret_expires_at").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task A_failing_receiver_opens_its_breaker_deliveries_wait_without_spending_attempts_and_all_arrive_once_when_it_recovers()
    {
        var database = await fixture.CreateDatabaseAsync("webhookdb_breaker_" + Guid.NewGuid().ToString("N")[..8]);
        var settings = fixture.Settings(database, "webhooks-breaker");
        settings["Webhooks:Breaker:MinimumThroughput"] = "3";
        settings["Webhooks:Breaker:FailureRatio"] = "1";
        settings["Webhooks:Breaker:SamplingDuration"] = "00:00:30";
        settings["Webhooks:Breaker:BreakDuration"] = "00:00:01";
        settings["Webhooks:MaxAttempts"] = "10";
        await using var host = await WebhooksHost.StartAsync(settings);
        await fixture.WaitForConsumersAsync("webhooks-breaker");
        using var openCircuits = new OpenCircuits();

        var tenant = NewTenant("t-breaker");
        var hook = "breaker-" + tenant;
        fixture.Receiver.Answer(hook, 503);
        using var api = host.Api(tenant);
        var (id, _) = await RegisterAsync(api, fixture.Receiver.Url(hook), "message_created");
        var healthy = "healthy-" + tenant;
        var (healthyId, _) = await RegisterAsync(api, fixture.Receiver.Url(healthy), "message_created");
        const int Messages = 8;
        for (var i = 1; i <= Messages; i++) await fixture.PublishAsync(Message(tenant, "c-breaker", i, $"m{i}"));

        JsonElement circuit = default;
        await Eventually.UntilAsync(async () =>
        {
            circuit = (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}")).GetProperty("circuit");
            return circuit.GetProperty("state").GetString() == "open";
        }, "the breaker open", Patience);
        Assert.Contains("503", circuit.GetProperty("last_error").GetString());
        Assert.True(circuit.GetProperty("retry_at").GetDateTimeOffset() > circuit.GetProperty("opened_at").GetDateTimeOffset());
        Assert.True(openCircuits.Read() >= 1, "the metric shows no open circuit");
        // The healthy webhook of the same tenant is not held back.
        await Eventually.UntilAsync(() => fixture.Receiver.At(healthy).Count == Messages, "every message delivered to the healthy webhook", Patience);
        Assert.Equal("closed", (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{healthyId}")).GetProperty("circuit").GetProperty("state").GetString());

        // While it is open the receiver hears at most one probe a second (the batch in flight when it opened was sent
        // whole), nothing is dead, and the waiting deliveries say why. Without the breaker, 100-200 ms pauses would
        // have spent every delivery's ten attempts in these 2.5 s.
        var atOpen = fixture.Receiver.At(hook).Count;
        await Task.Delay(2500); // a window of time: what the receiver hears within it is what is measured
        var failed = fixture.Receiver.At(hook).Count;
        Assert.InRange(atOpen, 3, Messages);
        Assert.InRange(failed - atOpen, 0, 3);
        var deliveries = await api.GetFromJsonAsync<JsonElement[]>($"/api/admin/webhooks/deliveries?webhook_id={id}") ?? [];
        Assert.Equal(Messages, deliveries.Length);
        Assert.All(deliveries, d => Assert.Equal("pending", d.GetProperty("state").GetString()));
        Assert.Equal(failed, deliveries.Sum(d => d.GetProperty("attempts").GetInt32()));
        Assert.Contains(deliveries, d => d.GetProperty("last_error").GetString()?.StartsWith("circuit open") == true);

        // The receiver recovers: the next probe closes the breaker and every delivery arrives, once each.
        fixture.Receiver.Answer(hook, 200);
        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Count(r => r.Status == 200) >= Messages, "every message delivered after recovery",
            Patience, context: () => $"{fixture.Receiver.At(hook).Count(r => r.Status == 200)} of {Messages} delivered");
        await Task.Delay(300); // absence: a delivery sent twice would arrive within this; nothing else would signal it
        var delivered = fixture.Receiver.At(hook).Where(r => r.Status == 200).ToArray();
        Assert.Equal(Messages, delivered.Length);
        Assert.Equal(Messages, delivered.Select(r => r.DeliveryId).Distinct().Count());
        Assert.Equal("closed", (await api.GetFromJsonAsync<JsonElement>($"/api/admin/webhooks/{id}")).GetProperty("circuit").GetProperty("state").GetString());
        Assert.Equal(0, openCircuits.Read());
    }

    private async Task<Received> NextAsync(string hook, int count)
    {
        await Eventually.UntilAsync(() => fixture.Receiver.At(hook).Count >= count, $"delivery {count} arrived", Patience);
        return fixture.Receiver.At(hook).OrderBy(r => r.At).ElementAt(count - 1);
    }

    /// <summary>The signature computed here, independently of the service's code.</summary>
    private static string Mac(string secret, Received r) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(r.Timestamp + ".").Concat(r.Body).ToArray()));

    /// <summary>Reads the gauge customerservice.webhooks.circuits{state=open} of the service's meter.</summary>
    private sealed class OpenCircuits : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _open;

        public OpenCircuits()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "customerservice.webhooks.circuits") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag is { Key: "state", Value: "open" }) Interlocked.Add(ref _open, value);
            });
            _listener.Start();
        }

        public long Read()
        {
            Interlocked.Exchange(ref _open, 0);
            _listener.RecordObservableInstruments();
            return Interlocked.Read(ref _open);
        }

        public void Dispose() => _listener.Dispose();
    }
}
