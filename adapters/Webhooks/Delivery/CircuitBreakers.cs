using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace CustomerService.Webhooks.Delivery;

/// <summary>The outcome of one POST, as the breaker judges it.</summary>
public sealed record AttemptOutcome(bool Failed, int? Status, string? Error);

/// <summary>A webhook's breaker as the admin API shows it (this replica's view).</summary>
internal sealed record OpenCircuit(DateTimeOffset OpenedAt, DateTimeOffset RetryAt, string? LastError);

public sealed record CircuitView(string State, DateTimeOffset? OpenedAt, DateTimeOffset? RetryAt, string? LastError);

/// <summary>
/// One Polly circuit breaker per webhook and URL (a changed URL starts closed). Failures are non-2xx answers other
/// than 410, timeouts and connection errors. While a breaker is open the dispatcher does not send: it puts the
/// delivery back in the schedule for when the breaker half-opens, without counting an attempt.
/// </summary>
public sealed partial class CircuitBreakers
{
    private readonly ConcurrentDictionary<(Guid Webhook, string Url), Breaker> _breakers = new();
    private readonly BreakerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CircuitBreakers> _logger;

    public CircuitBreakers(IOptions<WebhookOptions> options, TimeProvider time, IMeterFactory meters, ILogger<CircuitBreakers> logger)
    {
        _options = options.Value.Breaker;
        _time = time;
        _logger = logger;
        var meter = meters.Create(Microsoft.Extensions.Hosting.Extensions.ActivitySourceName);
        meter.CreateObservableGauge<int>("customerservice.webhooks.circuits", () => (IEnumerable<Measurement<int>>)
        [
            new Measurement<int>(_breakers.Values.Count(b => b.State is CircuitState.Open or CircuitState.Isolated), new KeyValuePair<string, object?>("state", "open")),
            new Measurement<int>(_breakers.Values.Count(b => b.State == CircuitState.HalfOpen), new KeyValuePair<string, object?>("state", "half_open")),
        ], description: "Webhook URLs whose circuit breaker is open or half-open in this replica");
    }

    public sealed class Breaker
    {
        internal readonly CircuitBreakerStateProvider StateProvider = new();
        internal ResiliencePipeline<AttemptOutcome> Pipeline = null!;
        /// <summary>
        /// When and why it last opened, set in one write by OnOpened. Polly shows the circuit open a moment before
        /// OnOpened runs; until then the view says closed rather than "open, no error".
        /// </summary>
        internal volatile OpenCircuit? Opened;
        public CircuitState State => StateProvider.CircuitState;
    }

    public Breaker For(Guid webhookId, string url) => _breakers.GetOrAdd((webhookId, url), key =>
    {
        var breaker = new Breaker();
        breaker.Pipeline = new ResiliencePipelineBuilder<AttemptOutcome> { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptOutcome>
            {
                FailureRatio = _options.FailureRatio,
                MinimumThroughput = _options.MinimumThroughput,
                SamplingDuration = _options.SamplingDuration,
                BreakDuration = _options.BreakDuration,
                StateProvider = breaker.StateProvider,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.Failed == true),
                OnOpened = args =>
                {
                    var now = _time.GetUtcNow();
                    breaker.Opened = new OpenCircuit(now, now + args.BreakDuration, args.Outcome.Result?.Error);
                    LogOpened(key.Webhook, key.Url, args.BreakDuration.TotalSeconds, breaker.Opened.LastError);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    LogHalfOpened(key.Webhook);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    breaker.Opened = null;
                    LogClosed(key.Webhook, key.Url);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return breaker;
    });

    /// <summary>When a delivery refused by an open breaker should be tried again: when it half-opens (or soon, if it is half-open now).</summary>
    public TimeSpan WaitFor(Breaker breaker)
    {
        var wait = breaker.Opened is { } opened ? opened.RetryAt - _time.GetUtcNow() : TimeSpan.Zero;
        return wait > TimeSpan.FromMilliseconds(100) ? wait : TimeSpan.FromMilliseconds(Math.Min(1000, _options.BreakDuration.TotalMilliseconds / 2));
    }

    /// <summary>The webhook's breaker state for its current URL ("closed" when it never failed here).</summary>
    public CircuitView View(Guid webhookId, string url)
    {
        if (!_breakers.TryGetValue((webhookId, url), out var breaker)) return new CircuitView("closed", null, null, null);
        var state = breaker.State switch
        {
            CircuitState.Open or CircuitState.Isolated => "open",
            CircuitState.HalfOpen => "half_open",
            _ => "closed",
        };
        return state == "closed" || breaker.Opened is not { } opened
            ? new CircuitView("closed", null, null, null)
            : new CircuitView(state, opened.OpenedAt, opened.RetryAt, opened.LastError);
    }

    /// <summary>Forgets breakers of webhooks deleted or re-pointed (called with the live registrations).</summary>
    public void Forget(Guid webhookId)
    {
        foreach (var key in _breakers.Keys)
            if (key.Webhook == webhookId) _breakers.TryRemove(key, out _);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} ({Url}): circuit opened for {Seconds:0.#} s after repeated failures (last: {Error}); its deliveries wait")]
    private partial void LogOpened(Guid webhookId, string url, double seconds, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId}: circuit half-open, trying one delivery")]
    private partial void LogHalfOpened(Guid webhookId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} ({Url}): circuit closed, delivering again")]
    private partial void LogClosed(Guid webhookId, string url);
}
