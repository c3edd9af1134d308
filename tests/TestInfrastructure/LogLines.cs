using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CustomerService.TestInfrastructure;

/// <summary>Every log line of a host at Information and above, for asserting what operators would see.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> All => _lines.ToArray();

    public bool Any(Func<string, bool> match) => _lines.Any(l => match(l.Message));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogLines lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) lines._lines.Enqueue((logLevel, category, exception is null ? formatter(state, exception) : $"{formatter(state, exception)}\n{exception}"));
        }
    }
}
