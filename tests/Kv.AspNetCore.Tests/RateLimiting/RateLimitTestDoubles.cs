using System.Collections.Concurrent;
using System.Reflection;
using Kv.RateLimiting;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>A store that can make rate-limit decisions: what a limiter needs, as one interface for the proxy.</summary>
public interface IRateLimitingStore : IAtomicKvStore, IKvRateLimitStore;

/// <summary>
/// A store whose every operation fails as a store that is down does: <see cref="KvErrorCode.StoreOperationFailed"/>
/// with an I/O error inside, through the returned task.
/// </summary>
public class FailingRateLimitStore : DispatchProxy
{
    public bool Synchronous { get; set; } = true;

    public static IRateLimitingStore Create(bool synchronous = true)
    {
        IRateLimitingStore store = Create<IRateLimitingStore, FailingRateLimitStore>();
        ((FailingRateLimitStore)(object)store).Synchronous = synchronous;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == "get_" + nameof(IKvRateLimitStore.CompletesSynchronously))
        {
            return Synchronous;
        }

        var failure = new KvException(KvErrorCode.StoreOperationFailed, "The test store is down.", new IOException("connection refused"));
        Type returnType = targetMethod.ReturnType;
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            MethodInfo fromException = typeof(ValueTask).GetMethods()
                .Single(m => m.Name == nameof(ValueTask.FromException) && m.IsGenericMethodDefinition)
                .MakeGenericMethod(returnType.GetGenericArguments()[0]);
            return fromException.Invoke(null, [failure]);
        }

        throw new InvalidOperationException($"The limiter tests do not use {targetMethod.Name}.");
    }
}

/// <summary>Collects every log event, to assert event ids and that no partition key is ever logged.</summary>
public sealed class RateLimitLogCollector : ILoggerFactory, ILoggerProvider
{
    public ConcurrentQueue<(EventId EventId, LogLevel Level, string Message)> Events { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(RateLimitLogCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Events.Enqueue((eventId, logLevel, formatter(state, exception) + (exception is null ? string.Empty : " " + exception)));
    }
}
