using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Kv.RateLimiting;

namespace Kv.Internal;

/// <summary>
/// What the three Kv limiters share: the store call, failure handling, statistics, logs and metrics. The algorithm
/// runs in the store when it implements <see cref="IKvRateLimitStore"/> (one atomic step per decision), else as the
/// portable decision of <see cref="KvRateLimitDecisions"/>; this class keeps no permits.
/// </summary>
internal sealed class KvRateLimiterCore
{
    /// <summary>The reason on the lease <c>AttemptAcquire</c> gives on a store that is not in process.</summary>
    public const string AsyncOnlyReason =
        "This Kv rate limiter's store is remote: a decision needs I/O, which the synchronous AttemptAcquire cannot do without "
        + "blocking. Call AcquireAsync (ASP.NET Core's rate limiting middleware does so when AttemptAcquire does not acquire).";

    public const string StoreFailedReason = "The rate limiter's store failed; the request was rejected (FailureMode = FailClosed).";

    private readonly Func<int, CancellationToken, ValueTask<KvRateLimitDecision>> _decide;
    private readonly bool _completesSynchronously;
    private readonly string _algorithm;
    private readonly int _limit;
    private readonly KvRateLimitFailureMode _failureMode;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly KvAspNetCoreMetrics? _metrics;
    private long _available;
    private long _successful;
    private long _failed;
    private long _lastActivity;
    private int _disposed;

    public static KvRateLimiterCore Create<TRequest>(
        string algorithm,
        string tag,
        IAtomicKvStore store,
        string partitionKey,
        KvRateLimiterOptions options,
        Func<int, TRequest> request,
        Func<IKvRateLimitStore, string, TRequest, CancellationToken, ValueTask<KvRateLimitDecision>> atomic,
        Func<string?, TRequest, long, KvRateLimitStateChange> decide,
        ILoggerFactory? loggerFactory,
        TimeProvider? timeProvider,
        KvAspNetCoreMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // Short printable partition keys (IP addresses, user ids) stay readable; others are hashed.
        string partition = KvStoreKey.From(partitionKey, maxPlainLength: 128, static k => KvKeyRules.IsValidKey("k" + k));
        (Func<int, CancellationToken, ValueTask<KvRateLimitDecision>> decision, bool completesSynchronously) =
            KvRateLimitDecisions.Create(store, tag, partition, request, atomic, decide);
        return new KvRateLimiterCore(algorithm, store, options, decision, completesSynchronously, loggerFactory, timeProvider, metrics);
    }

    private KvRateLimiterCore(
        string algorithm,
        IAtomicKvStore store,
        KvRateLimiterOptions options,
        Func<int, CancellationToken, ValueTask<KvRateLimitDecision>> decide,
        bool completesSynchronously,
        ILoggerFactory? loggerFactory,
        TimeProvider? timeProvider,
        KvAspNetCoreMetrics? metrics)
    {
        _algorithm = algorithm;
        _completesSynchronously = completesSynchronously;
        _limit = options.Limit;
        _failureMode = options.FailureMode;
        _decide = decide;
        _logger = loggerFactory?.CreateLogger("Kv.RateLimiting") ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _metrics = metrics;
        _available = _limit;
        _lastActivity = _timeProvider.GetTimestamp();
    }

    // Idle since the last decision: the state lives in the store, so a partitioned limiter may drop this object at
    // any time and lose nothing but local statistics.
    public TimeSpan? IdleDuration => _timeProvider.GetElapsedTime(Volatile.Read(ref _lastActivity));

    public RateLimiterStatistics GetStatistics() => new()
    {
        CurrentAvailablePermits = Volatile.Read(ref _available),
        CurrentQueuedCount = 0,
        TotalSuccessfulLeases = Volatile.Read(ref _successful),
        TotalFailedLeases = Volatile.Read(ref _failed),
    };

    public RateLimitLease AttemptAcquire(int permitCount)
    {
        Validate(permitCount);

        // Only an in-process store can answer without blocking a thread on I/O. Elsewhere the answer is "not acquired,
        // try AcquireAsync", without touching the store and without counting as a failed lease.
        if (!_completesSynchronously)
        {
            return new KvRateLimitLease(isAcquired: false, retryAfter: null, AsyncOnlyReason);
        }

        ValueTask<KvRateLimitDecision> pending;
        try
        {
            pending = _decide(permitCount, CancellationToken.None);
        }
        catch (KvException ex) when (IsStoreFailure(ex))
        {
            return OnStoreFailure(ex);
        }

        if (pending.IsCompletedSuccessfully)
        {
            // Completed already: reading the result does not block.
            return OnDecision(pending.Result, permitCount);
        }

        if (!pending.IsCompleted)
        {
            // The store said it completes synchronously and did not: a broken store. Its outcome is observed so that
            // it cannot surface as an unobserved exception, and the caller hears about the bug.
            _ = pending.AsTask().ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new InvalidOperationException("The store reported synchronous rate-limit decisions, but a decision did not complete synchronously.");
        }

        Exception error = pending.AsTask().Exception!.InnerException!;
        if (error is KvException failure && IsStoreFailure(failure))
        {
            return OnStoreFailure(failure);
        }

        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return null!; // Unreachable: Throw does not return.
    }

    public async ValueTask<RateLimitLease> AcquireAsync(int permitCount, CancellationToken cancellationToken)
    {
        Validate(permitCount);
        cancellationToken.ThrowIfCancellationRequested();
        KvRateLimitDecision decision;
        try
        {
            decision = await _decide(permitCount, cancellationToken).ConfigureAwait(false);
        }
        catch (KvException ex) when (IsStoreFailure(ex))
        {
            return OnStoreFailure(ex);
        }

        return OnDecision(decision, permitCount);
    }

    // The store could not make the decision: it failed, or it is full and cannot hold the partition's state (MemoryKv at
    // its MaxEntries / MaxBytes; Redis at maxmemory reports StoreOperationFailed). Both follow FailureMode.
    private static bool IsStoreFailure(KvException error) =>
        error.Code is KvErrorCode.StoreOperationFailed or KvErrorCode.CapacityExceeded;

    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);

    private void Validate(int permitCount)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (permitCount < 0 || permitCount > _limit)
        {
            throw new ArgumentOutOfRangeException(
                nameof(permitCount), permitCount, string.Create(CultureInfo.InvariantCulture, $"A request takes 0 to {_limit} permits (the limiter's limit)."));
        }
    }

    private KvRateLimitLease OnDecision(KvRateLimitDecision decision, int permitCount)
    {
        Touch();
        Volatile.Write(ref _available, decision.RemainingPermits);
        if (decision.Acquired)
        {
            Interlocked.Increment(ref _successful);
            _metrics?.RecordRateLimiterDecision(_algorithm, KvRateLimiterDecision.Acquired);
            return KvRateLimitLease.Acquired;
        }

        Interlocked.Increment(ref _failed);
        _metrics?.RecordRateLimiterDecision(_algorithm, KvRateLimiterDecision.Rejected);
        AspNetCoreLog.Rejected(_logger, _algorithm, permitCount, decision.RetryAfter);
        return new KvRateLimitLease(isAcquired: false, decision.RetryAfter, reason: null);
    }

    private KvRateLimitLease OnStoreFailure(KvException error)
    {
        Touch();

        // The cause is named by type only: exception messages of the Redis client may carry key names.
        string cause = error.InnerException?.GetType().Name ?? error.Code.ToString();
        if (_failureMode == KvRateLimitFailureMode.FailOpen)
        {
            Interlocked.Increment(ref _successful);
            _metrics?.RecordRateLimiterDecision(_algorithm, KvRateLimiterDecision.FailedOpen);
            AspNetCoreLog.FailedOpen(_logger, _algorithm, cause);
            return KvRateLimitLease.Acquired;
        }

        Interlocked.Increment(ref _failed);
        _metrics?.RecordRateLimiterDecision(_algorithm, KvRateLimiterDecision.FailedClosed);
        AspNetCoreLog.FailedClosed(_logger, _algorithm, cause);
        return new KvRateLimitLease(isAcquired: false, retryAfter: null, StoreFailedReason);
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _timeProvider.GetTimestamp());
}
