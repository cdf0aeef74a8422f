using System.Collections.Concurrent;
using System.Reflection;
using StackExchange.Redis;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// An <see cref="IConnectionMultiplexer"/> that forwards every call to a real multiplexer and counts the calls by
/// member name, so a test sees who used, closed or disposed the application's multiplexer.
/// </summary>
public class CountingMultiplexer : DispatchProxy
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    /// <summary>The real multiplexer every call goes to.</summary>
    public ConnectionMultiplexer Inner { get; private set; } = null!;

    /// <summary>The multiplexer the test hands out.</summary>
    public IConnectionMultiplexer Proxy { get; private set; } = null!;

    /// <summary>How many times a member was called: <c>GetDatabase</c>, <c>Close</c>, <c>CloseAsync</c>, <c>Dispose</c>,
    /// <c>DisposeAsync</c>, …</summary>
    public int Calls(string member) => _calls.TryGetValue(member, out int n) ? n : 0;

    /// <summary>Every call that closes or disposes: <c>Close</c>, <c>CloseAsync</c>, <c>Dispose</c> and <c>DisposeAsync</c>.</summary>
    public int Releases => Calls("Close") + Calls("CloseAsync") + Calls("Dispose") + Calls("DisposeAsync");

    public static CountingMultiplexer Wrap(ConnectionMultiplexer inner)
    {
        IConnectionMultiplexer proxy = Create<IConnectionMultiplexer, CountingMultiplexer>();
        var counting = (CountingMultiplexer)(object)proxy;
        counting.Inner = inner;
        counting.Proxy = proxy;
        return counting;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        _calls.AddOrUpdate(targetMethod.Name, 1, static (_, n) => n + 1);
        try
        {
            return targetMethod.Invoke(Inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
