using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>Keeps every log event (category, event id, level, formatted message, exception) for assertions.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<(string Category, EventId EventId, LogLevel Level, string Message, Exception? Exception)> Events { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
        // One sink only: this provider is the factory too.
        ArgumentNullException.ThrowIfNull(provider);
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Events.Enqueue((category, eventId, logLevel, formatter(state, exception), exception));
    }
}
