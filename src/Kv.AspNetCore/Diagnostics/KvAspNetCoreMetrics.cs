using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;

namespace Kv;

/// <summary>
/// The instruments of Kv's distributed locks and rate limiters, on the meter <see cref="KvMetrics.MeterName"/>
/// (<c>"Kv"</c>, the store instruments' meter) created through <see cref="IMeterFactory"/>.
/// <c>services.AddKvDistributedLocks()</c> registers one; the rate limiters' partition helpers take the registered one,
/// else one per <see cref="IMeterFactory"/>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>kv.lock.acquisitions</c></term><description>counter, <c>{acquisition}</c>: lock attempts [kv.lock.result: <c>acquired</c>, <c>busy</c>, <c>timeout</c>]</description></item>
/// <item><term><c>kv.lock.losses</c></term><description>counter, <c>{loss}</c>: held locks found lost</description></item>
/// <item><term><c>kv.ratelimit.decisions</c></term><description>counter, <c>{decision}</c>: rate limiter decisions
/// [kv.ratelimit.algorithm: <c>fixed_window</c>, <c>sliding_window</c>, <c>token_bucket</c>; kv.ratelimit.result:
/// <c>acquired</c>, <c>rejected</c>, <c>failed_open</c>, <c>failed_closed</c>]</description></item>
/// </list>
/// <para>No attribute carries a lock name or a partition key. The transactions behind a lock are measured and traced as
/// every other store operation (<c>commit</c>, see <see cref="KvMetrics"/> and <see cref="KvTracing"/>); a rate limiter's
/// decision is one atomic step of the store's rate-limit capability, counted here only.</para>
/// </remarks>
public sealed class KvAspNetCoreMetrics : IDisposable
{
    private static readonly ConditionalWeakTable<IMeterFactory, KvAspNetCoreMetrics> PerFactory = [];

    private readonly bool _ownsMeter;
    private readonly Counter<long> _lockAcquisitions;
    private readonly Counter<long> _lockLosses;
    private readonly Counter<long> _rateLimitDecisions;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    /// <param name="meterFactory">The application's meter factory; <see langword="null"/> for a meter of this instance's
    /// own (disposed with it).</param>
    public KvAspNetCoreMetrics(IMeterFactory? meterFactory)
    {
        var meterOptions = new MeterOptions(KvMetrics.MeterName) { Version = typeof(KvMetrics).Assembly.GetName().Version?.ToString() };
        if (meterFactory is null)
        {
            Meter = new Meter(meterOptions);
            _ownsMeter = true;
        }
        else
        {
            Meter = meterFactory.Create(meterOptions);
        }

        _lockAcquisitions = Meter.CreateCounter<long>("kv.lock.acquisitions", "{acquisition}", "Attempts to take a Kv distributed lock.");
        _lockLosses = Meter.CreateCounter<long>("kv.lock.losses", "{loss}", "Held Kv distributed locks found lost by renewal.");
        _rateLimitDecisions = Meter.CreateCounter<long>("kv.ratelimit.decisions", "{decision}", "Kv rate limiter decisions.");
    }

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    /// <summary>Disposes the meter when this instance created it (a factory's meters are disposed by the factory).</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }

    /// <summary>The registered instance, else the one of the registered <see cref="IMeterFactory"/>, else none.</summary>
    internal static KvAspNetCoreMetrics? Resolve(IServiceProvider services) =>
        services.GetService<KvAspNetCoreMetrics>()
        ?? (services.GetService<IMeterFactory>() is { } factory ? ForFactory(factory) : null);

    /// <summary>One instance per meter factory, so that registered and resolved-on-demand uses share their instruments.</summary>
    internal static KvAspNetCoreMetrics ForFactory(IMeterFactory factory) =>
        PerFactory.GetValue(factory, static f => new KvAspNetCoreMetrics(f));

    internal void RecordLockAcquisition(KvLockAcquisitionResult result)
    {
        if (_lockAcquisitions.Enabled)
        {
            _lockAcquisitions.Add(1, new KeyValuePair<string, object?>(AttributeNames.LockResult, result switch
            {
                KvLockAcquisitionResult.Acquired => "acquired",
                KvLockAcquisitionResult.Busy => "busy",
                _ => "timeout",
            }));
        }
    }

    internal void RecordLockLost()
    {
        if (_lockLosses.Enabled)
        {
            _lockLosses.Add(1);
        }
    }

    internal void RecordRateLimiterDecision(string algorithm, KvRateLimiterDecision decision)
    {
        if (_rateLimitDecisions.Enabled)
        {
            var tags = new TagList
            {
                { AttributeNames.RateLimitAlgorithm, algorithm },
                { AttributeNames.RateLimitResult, decision switch
                    {
                        KvRateLimiterDecision.Acquired => "acquired",
                        KvRateLimiterDecision.Rejected => "rejected",
                        KvRateLimiterDecision.FailedOpen => "failed_open",
                        _ => "failed_closed",
                    }
                },
            };
            _rateLimitDecisions.Add(1, tags);
        }
    }

    private static class AttributeNames
    {
        public const string LockResult = "kv.lock.result";
        public const string RateLimitAlgorithm = "kv.ratelimit.algorithm";
        public const string RateLimitResult = "kv.ratelimit.result";
    }
}

/// <summary>How an attempt to take a distributed lock ended (the <c>kv.lock.result</c> attribute).</summary>
internal enum KvLockAcquisitionResult
{
    /// <summary>The lock was taken.</summary>
    Acquired,

    /// <summary>A try-acquire found the lock held.</summary>
    Busy,

    /// <summary>An acquire waited its whole timeout.</summary>
    TimedOut,
}

/// <summary>What a Kv rate limiter decided (the <c>kv.ratelimit.result</c> attribute).</summary>
internal enum KvRateLimiterDecision
{
    /// <summary>The permit was granted.</summary>
    Acquired,

    /// <summary>The permit was refused: the limit is reached.</summary>
    Rejected,

    /// <summary>The store failed and the limiter let the request through.</summary>
    FailedOpen,

    /// <summary>The store failed and the limiter refused the request.</summary>
    FailedClosed,
}
