using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace CustomerService.Webhooks.Delivery;

/// <summary>Wakes the dispatcher when deliveries were stored or replayed, so they need not wait for the next poll.</summary>
public sealed class DispatchSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // already awake
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// Sends due deliveries: claims a batch (see <see cref="DeliveryStore.ClaimDueAsync"/>), POSTs each signed with its
/// webhook's secret, and records the outcome: delivered on 2xx; on anything else tried again after an exponential
/// pause with jitter, until <see cref="WebhookOptions.MaxAttempts"/>, then dead (an admin can replay it). 410 Gone
/// switches the webhook off. Redirects are not followed. Each webhook's URL has a circuit breaker: while it is open
/// its deliveries are put back for when it half-opens, attempts not spent (<see cref="CircuitBreakers"/>).
/// </summary>
public sealed partial class Dispatcher(
    DeliveryStore store,
    DispatchSignal signal,
    CircuitBreakers breakers,
    IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    IMeterFactory meters,
    ILogger<Dispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    public const string UserAgent = "CustomerService-Webhooks/1.0";

    private readonly WebhookOptions _options = options.Value;
    private readonly Counter<long> _outcomes = meters.Create(Microsoft.Extensions.Hosting.Extensions.ActivitySourceName)
        .CreateCounter<long>("customerservice.webhooks.attempts", description: "Webhook POST attempts by outcome (delivered, retry, dead)");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await store.ClaimDueAsync(_options.BatchSize, _options.Lease, stoppingToken);
                if (claimed.Count > 0)
                    await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = stoppingToken },
                        async (delivery, ct) => await AttemptAsync(delivery, ct));
                pause = TimeSpan.FromMilliseconds(200);
                if (claimed.Count < _options.BatchSize)
                    await signal.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogDispatchFailed(e, pause.TotalMilliseconds);
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task AttemptAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        int attempt = delivery.Attempts + 1;
        var breaker = breakers.For(delivery.WebhookId, delivery.Url);
        AttemptOutcome outcome;
        try
        {
            outcome = await breaker.Pipeline.ExecuteAsync(async ct => await SendAsync(delivery, attempt, ct), stoppingToken);
        }
        catch (BrokenCircuitException)
        {
            // The receiver keeps failing: this delivery waits, attempt not spent, until the breaker lets one through.
            var wait = breakers.WaitFor(breaker);
            await store.DeferAsync(delivery.Id, wait, $"circuit open: the receiver kept failing; waiting until {time.GetUtcNow() + wait:O}",
                CancellationToken.None);
            _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "deferred"));
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and another attempt is made later; this one does not count.
            return;
        }

        if (!outcome.Failed && outcome.Status is >= 200 and < 300)
        {
            await store.MarkDeliveredAsync(delivery.Id, outcome.Status.Value, CancellationToken.None);
            _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "delivered"));
            if (attempt > 1) LogDeliveredAfter(delivery.Id, delivery.Event, attempt);
            return;
        }
        if (outcome.Status == (int)HttpStatusCode.Gone)
        {
            await store.DisableWebhookAsync(delivery.WebhookId, CancellationToken.None);
            await store.MarkFailedAsync(delivery.Id, outcome.Status, "410 Gone: the receiver asked to stop; the webhook is disabled", dead: true,
                TimeSpan.Zero, CancellationToken.None);
            _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "dead"));
            LogGone(delivery.WebhookId, delivery.TenantId);
            return;
        }

        var error = outcome.Error ?? "failed";
        bool dead = attempt >= _options.MaxAttempts;
        var retryIn = dead ? TimeSpan.Zero : Backoff.After(attempt, _options, Random.Shared.NextDouble());
        await store.MarkFailedAsync(delivery.Id, outcome.Status, error, dead, retryIn, CancellationToken.None);
        _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", dead ? "dead" : "retry"));
        if (dead) LogDead(delivery.Id, delivery.Event, delivery.TenantId, attempt, error);
        else LogRetry(delivery.Id, attempt, error, retryIn.TotalMilliseconds);
    }

    /// <summary>One signed POST; its outcome (a failure for the breaker: anything but 2xx and 410).</summary>
    private async Task<AttemptOutcome> SendAsync(ClaimedDelivery delivery, int attempt, CancellationToken stoppingToken)
    {
        int? status = null;
        try
        {
            var body = Encoding.UTF8.GetBytes(delivery.Body);
            long timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.UserAgent.ParseAdd(UserAgent);
            request.Headers.Add(WebhookSignature.DeliveryHeader, delivery.Id.ToString());
            request.Headers.Add(WebhookSignature.EventHeader, delivery.Event);
            request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // During a rotation's overlap both secrets sign: "sha256=<new>,sha256=<previous>".
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.SignatureValue(delivery.Secret, delivery.PreviousSecret, timestamp, body));
            request.Headers.Add(WebhookSignature.AttemptHeader, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.Timeout);
            var http = httpClients.CreateClient(HttpClientName);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Gone) return new AttemptOutcome(false, status, null);
            return new AttemptOutcome(true, status, $"HTTP {status} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return new AttemptOutcome(true, status, $"no answer within {_options.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            var message = e.InnerException is WebhookAddressRefusedException refused ? refused.Message
                : e.HttpRequestError == HttpRequestError.Unknown ? e.Message : $"{e.HttpRequestError}: {e.Message}";
            return new AttemptOutcome(true, status, message);
        }
        catch (Exception e) when (e is InvalidOperationException or UriFormatException or NotSupportedException)
        {
            return new AttemptOutcome(true, status, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook dispatch failed; trying again in {PauseMs} ms")]
    private partial void LogDispatchFailed(Exception exception, double pauseMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook delivery {DeliveryId} attempt {Attempt} failed ({Error}); next in {RetryMs:0} ms")]
    private partial void LogRetry(Guid deliveryId, int attempt, string error, double retryMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {DeliveryId} ({Event}) delivered at attempt {Attempt}")]
    private partial void LogDeliveredAfter(Guid deliveryId, string @event, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} ({Event}) of tenant {TenantId} is dead after {Attempts} attempts: {Error}")]
    private partial void LogDead(Guid deliveryId, string @event, string tenantId, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} of tenant {TenantId} answered 410 Gone and is disabled")]
    private partial void LogGone(Guid webhookId, string tenantId);
}
