using Google.Protobuf;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Microsoft.Extensions.Hosting;

/// <summary>How a <see cref="DurableConsumer{T}"/> reads its stream.</summary>
/// <param name="What">What one message is, for the logs ("ticket request").</param>
/// <param name="EnsureStream">Creates the stream or brings it to its configuration; called before every (re)start.</param>
/// <param name="Consumer">The durable consumer, created or updated on every (re)start.</param>
public sealed record DurableConsumerSettings(
    string What,
    string Stream,
    Func<INatsJSContext, CancellationToken, Task> EnsureStream,
    ConsumerConfig Consumer)
{
    /// <summary>Messages fetched at a time; one keeps them strictly in order.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>The longest pause between starts of the consumer, and between tries of one held message.</summary>
    public TimeSpan MaxPause { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Null: a message that fails is tried again here with growing pauses, holding back the ones after it.
    /// Else it is given back to JetStream (nak) to come again after this delay.
    /// </summary>
    public TimeSpan? RedeliveryDelay { get; init; }
}

/// <summary>A message that can never be handled (unreadable, incomplete): it is dropped (term) with this reason.</summary>
public sealed class PoisonMessageException(string reason) : Exception(reason);

/// <summary>
/// A durable JetStream consumer in a background service: waits for NATS and the stream with growing pauses,
/// creates or updates its durable consumer, and settles each message: ack once <see cref="HandleAsync"/> succeeds,
/// term with a logged reason when <see cref="Read"/> finds it poison, and otherwise tries again
/// (held in place or redelivered, <see cref="DurableConsumerSettings.RedeliveryDelay"/>) until the host stops.
/// Subclasses only read and handle one message.
/// </summary>
public abstract partial class DurableConsumer<T>(
    INatsJSContext js,
    DurableConsumerSettings settings,
    TimeProvider time,
    ILogger logger) : BackgroundService
{
    private static readonly TimeSpan FirstRestartPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan FirstRetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>The message's content; throws <see cref="PoisonMessageException"/> or <see cref="InvalidProtocolBufferException"/> for one that can never be handled.</summary>
    protected abstract T Read(INatsJSMsg<byte[]> message);

    /// <summary>Does the work of one message; it is acknowledged when this returns. Must be safe to repeat.</summary>
    protected abstract Task HandleAsync(T item, CancellationToken cancellationToken);

    /// <summary>Names one message in the logs.</summary>
    protected virtual string Describe(T item, INatsJSMsg<byte[]> message) => $"{settings.What} on {message.Subject}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = FirstRestartPause;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await settings.EnsureStream(js, stoppingToken);
                var consumer = await js.CreateOrUpdateConsumerAsync(settings.Stream, settings.Consumer, stoppingToken);
                LogListening(settings.What, settings.Stream, settings.Consumer.Name ?? "");
                pause = FirstRestartPause;
                await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default,
                                   new NatsJSConsumeOpts { MaxMsgs = settings.BatchSize }, stoppingToken))
                {
                    await SettleAsync(message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogConsumerFailed(e, settings.What, settings.Stream, pause.TotalMilliseconds);
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pause = Longer(pause);
            }
        }
    }

    private async Task SettleAsync(INatsJSMsg<byte[]> message, CancellationToken stoppingToken)
    {
        T item;
        try
        {
            item = Read(message);
        }
        catch (Exception e) when (e is PoisonMessageException or InvalidProtocolBufferException)
        {
            LogDropped(settings.What, message.Subject, e.Message);
            await message.AckTerminateAsync(cancellationToken: stoppingToken);
            return;
        }

        var pause = FirstRetryPause;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await HandleAsync(item, stoppingToken);
                await message.AckAsync(cancellationToken: stoppingToken);
                if (attempt > 1) LogHandledAfterRetries(Describe(item, message), attempt);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (settings.RedeliveryDelay is { } delay)
                {
                    LogRedelivering(Describe(item, message), delay.TotalMilliseconds, e.Message);
                    await message.NakAsync(delay: delay, cancellationToken: stoppingToken);
                    return;
                }
                // Log the first failure and then every tenth, not a line per try while a dependency is down.
                if (attempt == 1 || attempt % 10 == 0) LogWaiting(Describe(item, message), attempt, e.GetType().Name, e.Message);
                try { await message.AckProgressAsync(cancellationToken: stoppingToken); }
                catch (Exception progress) when (progress is not OperationCanceledException) { }
                await Task.Delay(pause, time, stoppingToken);
                pause = Longer(pause);
            }
        }
    }

    private TimeSpan Longer(TimeSpan pause) => TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, settings.MaxPause.Ticks));

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for each {What} on stream {Stream} as {Consumer}")]
    private partial void LogListening(string what, string stream, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {What} consumer of {Stream} failed; starting again in {PauseMs} ms")]
    private partial void LogConsumerFailed(Exception exception, string what, string stream, double pauseMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped an unreadable {What} on {Subject}: {Reason}")]
    private partial void LogDropped(string what, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message} waits to be handled (try {Attempt}): {Error}: {Reason}")]
    private partial void LogWaiting(string message, int attempt, string error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message} handled after {Attempts} tries")]
    private partial void LogHandledAfterRetries(string message, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message} not handled yet, JetStream delivers it again in {DelayMs} ms: {Reason}")]
    private partial void LogRedelivering(string message, double delayMs, string reason);
}
