using System.Net.Http;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.Retry;
using Polly.Timeout;

namespace CustomerService.AdapterKit.Resilience;

/// <summary>
/// Every call to one legacy system goes through here: fallback ← total timeout (the caller's deadline) ← retry
/// with jitter ← circuit breaker ← attempt timeout ← the call. A failed, slow or broken legacy system gives the
/// fallback's answer (a cached value or an explicit "unavailable") within the caller's deadline; only "no such
/// record" (<see cref="LegacyRecordNotFoundException"/>) and the caller's own cancellation pass through.
/// Circuit changes are logged and exposed as <see cref="LegacyMetrics.CircuitStateInstrument"/>.
/// </summary>
public sealed partial class LegacySystem<TResult>
{
    private static readonly ResiliencePropertyKey<Func<LegacyFailure, CancellationToken, ValueTask<TResult>>> FallbackKey = new("legacy.fallback");
    private static readonly ResiliencePropertyKey<TimeSpan> BudgetKey = new("legacy.budget");
    private static readonly ResiliencePropertyKey<DateTimeOffset> DeadlineKey = new("legacy.deadline");

    /// <summary>Polly's shortest timeout; a live call with less time than this is not started.</summary>
    private static readonly TimeSpan MinLiveBudget = TimeSpan.FromMilliseconds(10);
    /// <summary>Kept back from the caller's deadline for sending the answer.</summary>
    private static readonly TimeSpan AnswerMargin = TimeSpan.FromMilliseconds(5);

    private readonly ResiliencePipeline<TResult> _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly LegacyResilienceOptions _options;
    private readonly LegacyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public LegacySystem(string name, LegacyResilienceOptions options, LegacyMetrics metrics, ILoggerFactory loggers, TimeProvider time)
    {
        Name = name;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = loggers.CreateLogger($"CustomerService.AdapterKit.Legacy.{name}");
        _pipeline = Build(loggers);
        metrics.Register(name, () => _circuit.CircuitState);
    }

    public string Name { get; }

    public CircuitState CircuitState => _circuit.CircuitState;

    /// <summary>
    /// Calls the legacy system through the pipeline. <paramref name="live"/> must honour its token;
    /// <paramref name="fallback"/> gets why the live call failed and a token that ends before the deadline.
    /// </summary>
    public async ValueTask<TResult> CallAsync(
        Func<CancellationToken, ValueTask<TResult>> live,
        Func<LegacyFailure, CancellationToken, ValueTask<TResult>> fallback,
        DateTime? deadlineUtc = null,
        CancellationToken cancellationToken = default)
    {
        var budget = _options.TotalTimeout;
        var deadline = DateTimeOffset.MaxValue;
        if (deadlineUtc is { } d && d != DateTime.MaxValue)
        {
            deadline = new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)) - AnswerMargin;
            var remaining = deadline - _time.GetUtcNow();
            var reserve = TimeSpan.FromTicks(Math.Min(_options.FallbackTimeout.Ticks, Math.Max(remaining.Ticks, 0) / 4));
            budget = TimeSpan.FromTicks(Math.Min(budget.Ticks, (remaining - reserve).Ticks));
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(FallbackKey, fallback);
            context.Properties.Set(DeadlineKey, deadline);
            if (budget < MinLiveBudget)
            {
                var failure = new LegacyFailure(Name, LegacyFailureKind.NoTimeLeft,
                    $"{Name} was not asked: the caller's deadline left {Math.Max(0, budget.TotalMilliseconds):F0} ms", null);
                return await RunFallbackAsync(failure, context);
            }
            context.Properties.Set(BudgetKey, budget);
            return await _pipeline.ExecuteAsync(static (ctx, call) => call(ctx.CancellationToken), context, live);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<TResult> Build(ILoggerFactory loggers)
    {
        var builder = new ResiliencePipelineBuilder<TResult> { Name = $"legacy-{Name}", TimeProvider = _time };

        builder.AddFallback(new FallbackStrategyOptions<TResult>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsFailure(e, args.Context)),
            FallbackAction = async args =>
                Outcome.FromResult(await RunFallbackAsync(Describe(args.Outcome.Exception!), args.Context)),
        });

        builder.AddTimeout(new TimeoutStrategyOptions
        {
            TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(BudgetKey, _options.TotalTimeout)),
        });

        if (_options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<TResult>
            {
                MaxRetryAttempts = _options.MaxRetryAttempts,
                Delay = _options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e, args.Context)),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<TResult>
        {
            FailureRatio = _options.FailureRatio,
            MinimumThroughput = _options.MinimumThroughput,
            SamplingDuration = _options.SamplingDuration,
            BreakDuration = _options.BreakDuration,
            StateProvider = _circuit,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsFailure(e, args.Context)),
            OnOpened = args =>
            {
                LogCircuitOpened(Name, args.BreakDuration.TotalMilliseconds, args.Outcome.Exception?.Message);
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                LogCircuitHalfOpened(Name);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                LogCircuitClosed(Name);
                return ValueTask.CompletedTask;
            },
        });

        builder.AddTimeout(_options.AttemptTimeout);
        builder.ConfigureTelemetry(loggers);
        return builder.Build();
    }

    private async ValueTask<TResult> RunFallbackAsync(LegacyFailure failure, ResilienceContext context)
    {
        var fallback = context.Properties.GetValue(FallbackKey, null!);
        var deadline = context.Properties.GetValue(DeadlineKey, DateTimeOffset.MaxValue);
        var left = deadline == DateTimeOffset.MaxValue ? _options.FallbackTimeout : deadline - _time.GetUtcNow();
        left = TimeSpan.FromTicks(Math.Clamp(left.Ticks, TimeSpan.TicksPerMillisecond, _options.FallbackTimeout.Ticks));

        _metrics.Fallback(Name, failure.Kind);
        if (failure.Kind == LegacyFailureKind.CircuitOpen) LogFallbackWhileOpen(Name);
        else LogFallback(Name, failure.Kind, failure.Reason);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(left);
        return await fallback(failure, timeout.Token);
    }

    /// <summary>Anything but "no such record" and the caller's own cancellation.</summary>
    private static bool IsFailure(Exception e, ResilienceContext context) =>
        e is not LegacyRecordNotFoundException
        && !(e is OperationCanceledException && context.CancellationToken.IsCancellationRequested);

    private static bool IsTransient(Exception e, ResilienceContext context) => e switch
    {
        LegacySystemException legacy => legacy.IsTransient,
        HttpRequestException or TimeoutRejectedException or IOException => true,
        OperationCanceledException => !context.CancellationToken.IsCancellationRequested,
        _ => false,
    };

    private LegacyFailure Describe(Exception e) => e switch
    {
        BrokenCircuitException => new(Name, LegacyFailureKind.CircuitOpen,
            $"{Name} failed repeatedly; calls are paused for up to {_options.BreakDuration.TotalSeconds:0.#} s (circuit open)", e),
        TimeoutRejectedException t => new(Name, LegacyFailureKind.Timeout,
            $"{Name} did not answer within {t.Timeout.TotalMilliseconds:F0} ms", e),
        HttpRequestException h when h.StatusCode is null => new(Name, LegacyFailureKind.Unreachable, $"{Name} is unreachable: {h.Message}", e),
        LegacySystemException => new(Name, LegacyFailureKind.BadAnswer, e.Message, e),
        FormatException => new(Name, LegacyFailureKind.BadAnswer, $"{Name} answered malformed data: {e.Message}", e),
        OperationCanceledException => new(Name, LegacyFailureKind.Timeout, $"{Name} did not answer in time", e),
        _ => new(Name, LegacyFailureKind.Error, $"{Name} call failed: {e.Message}", e),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit to legacy system {System} opened for {BreakMs} ms after: {Reason}")]
    private partial void LogCircuitOpened(string system, double breakMs, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit to legacy system {System} half-open: probing")]
    private partial void LogCircuitHalfOpened(string system);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit to legacy system {System} closed: it answers again")]
    private partial void LogCircuitClosed(string system);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Legacy system {System} call fell back ({Kind}): {Reason}")]
    private partial void LogFallback(string system, LegacyFailureKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Legacy system {System} call fell back: circuit open")]
    private partial void LogFallbackWhileOpen(string system);
}
