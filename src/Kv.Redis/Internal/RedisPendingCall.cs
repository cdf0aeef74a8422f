using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace Kv.Internal;

/// <summary>
/// A Redis call that is waiting for its reply, as <see cref="RedisOperationWatchdog"/> links it: three outcomes race to
/// complete it (the reply, the timeout, the caller's cancellation) and the first to claim it wins.
/// </summary>
internal abstract class RedisPendingCall
{
    private int _claimed;

    /// <summary>How a pending call completed.</summary>
    protected enum Outcome : byte
    {
        /// <summary>The call's task completed (successfully or not) before anything else.</summary>
        Replied,

        /// <summary>The watchdog found it past its deadline.</summary>
        TimedOut,

        /// <summary>The caller's token was cancelled.</summary>
        Canceled,
    }

    // The watchdog's list; read and written only under its lock.
    internal RedisPendingCall? Previous { get; set; }

    internal RedisPendingCall? Next { get; set; }

    internal bool Linked { get; set; }

    internal long Deadline { get; set; }

    // The watchdog's list of calls it claimed in one tick, completed after it releases its lock.
    internal RedisPendingCall? NextExpired { get; set; }

    /// <summary>Claims the call for one outcome; false when another outcome already did.</summary>
    internal bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Completes a call the watchdog claimed.</summary>
    internal abstract void CompleteTimedOut();

    protected void ResetClaim() => _claimed = 0;
}

/// <summary>
/// The asynchronous half of <see cref="RedisKv"/>'s execution of one call: the <see cref="IValueTaskSource{TResult}"/>
/// behind the returned <see cref="ValueTask{TResult}"/>, pooled, so a call that waits for its reply allocates nothing
/// of Kv's own beyond what StackExchange.Redis allocates for the command.
/// </summary>
/// <remarks>
/// <para>The reply is attached to the call's task as one cached continuation; the timeout is the adaptor's
/// <see cref="RedisOperationWatchdog"/>; the caller's token is registered only when it can be cancelled. Whatever
/// completes the call only records the outcome: mapping the reply and turning failures into <see cref="KvException"/>
/// (and logging them) happen in <see cref="GetResult"/>, on the caller's continuation and execution context, as in an
/// async method.</para>
/// <para>An instance goes back to the pool once both the caller has read the result and the call's task has completed
/// (its continuation holds the instance, and observes a late failure). A call that timed out or was cancelled is
/// still running inside the multiplexer, so its instance returns only when that late outcome arrives.</para>
/// </remarks>
internal sealed class RedisPendingCall<TState, TReply, TResult> : RedisPendingCall, IValueTaskSource<TResult>
{
    private const int PoolLimit = 256;
    private static readonly ConcurrentQueue<RedisPendingCall<TState, TReply, TResult>> Pool = new();
    private static int _pooled;

    [ThreadStatic]
    private static RedisPendingCall<TState, TReply, TResult>? _cached;

    private readonly Action _onReply;
    private ManualResetValueTaskSourceCore<Outcome> _core;
    private RedisKv? _kv;
    private RedisOperationWatchdog? _watchdog;
    private string _operation = string.Empty;
    private TState _state = default!;
    private Task<TReply>? _call;
    private Func<TState, TReply, TResult>? _map;
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;
    private TReply _reply = default!;
    private Exception? _failure;

    // The caller's read of the result and the call's continuation: the instance is reused when both are done.
    private int _references;

    private RedisPendingCall() => _onReply = OnReply;

    /// <summary>Waits for <paramref name="call"/>, which has not completed, under the timeout and the caller's token.</summary>
    public static ValueTask<TResult> Start(
        RedisKv kv,
        RedisOperationWatchdog watchdog,
        string operation,
        TState state,
        Task<TReply> call,
        Func<TState, TReply, TResult> map,
        CancellationToken cancellationToken)
    {
        RedisPendingCall<TState, TReply, TResult> pending = Rent();
        pending._kv = kv;
        pending._watchdog = watchdog;
        pending._operation = operation;
        pending._state = state;
        pending._call = call;
        pending._map = map;
        pending._cancellationToken = cancellationToken;
        pending._references = 2;
        short version = pending._core.Version;

        watchdog.Track(pending);
        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the reply continuation is attached, so the continuation always sees the registration
            // it must dispose. An already cancelled token completes the call right here.
            pending._registration = cancellationToken.UnsafeRegister(
                static (s, _) => ((RedisPendingCall<TState, TReply, TResult>)s!).OnCanceled(), pending);
        }

        call.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(pending._onReply);
        return new ValueTask<TResult>(pending, version);
    }

    /// <inheritdoc />
    public TResult GetResult(short token)
    {
        Outcome outcome = _core.GetResult(token);
        RedisKv kv = _kv!;
        string operation = _operation;
        TState state = _state;
        TReply reply = _reply;
        Exception? failure = _failure;
        Func<TState, TReply, TResult> map = _map!;
        CancellationToken cancellationToken = _cancellationToken;
        Release();

        if (outcome == Outcome.Replied && failure is null)
        {
            return map(state, reply);
        }

        Exception error = outcome switch
        {
            Outcome.TimedOut => kv.TimedOut(operation, new TimeoutException($"No reply within the operation timeout {kv.OperationTimeout}.")),
            Outcome.Canceled => new OperationCanceledException(cancellationToken),
            _ => kv.Translate(operation, failure!, cancellationToken),
        };
        if (ReferenceEquals(error, failure))
        {
            ExceptionDispatchInfo.Throw(error);
        }

        throw error;
    }

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    internal override void CompleteTimedOut() => CompleteEarly(Outcome.TimedOut);

    private static RedisPendingCall<TState, TReply, TResult> Rent()
    {
        RedisPendingCall<TState, TReply, TResult>? pending = _cached;
        if (pending is not null)
        {
            _cached = null;
            return pending;
        }

        if (Pool.TryDequeue(out pending))
        {
            Interlocked.Decrement(ref _pooled);
            return pending;
        }

        return new RedisPendingCall<TState, TReply, TResult>();
    }

    private static void Return(RedisPendingCall<TState, TReply, TResult> pending)
    {
        if (_cached is null)
        {
            _cached = pending;
        }
        else if (Interlocked.Increment(ref _pooled) <= PoolLimit)
        {
            Pool.Enqueue(pending);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }

    private void OnReply()
    {
        Task<TReply> call = _call!;
        bool won = TryClaim();
        if (won)
        {
            _watchdog!.Untrack(this);
            if (call.IsCompletedSuccessfully)
            {
                _reply = call.Result; // Completed: does not block.
            }
            else
            {
                _failure = RedisKv.FailureOf(call);
            }
        }
        else if (!call.IsCompletedSuccessfully)
        {
            // The late outcome of a call that timed out or was cancelled: observed, so it never surfaces as an
            // unobserved task exception.
            _ = call.Exception;
        }

        // Waits for a cancellation callback that is running right now, so none can touch this instance once reused.
        _registration.Dispose();
        if (won)
        {
            // Inline: this continuation already runs on the thread pool, where StackExchange.Redis completes its tasks.
            _core.SetResult(Outcome.Replied);
        }

        Release();
    }

    private void OnCanceled()
    {
        if (TryClaim())
        {
            _watchdog!.Untrack(this);
            CompleteEarly(Outcome.Canceled);
        }
    }

    private void CompleteEarly(Outcome outcome)
    {
        // Never inline: neither the watchdog's timer nor the code that cancelled the token runs the caller's code.
        _core.RunContinuationsAsynchronously = true;
        _core.SetResult(outcome);
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        _kv = null;
        _watchdog = null;
        _operation = string.Empty;
        _state = default!;
        _call = null;
        _map = null;
        _cancellationToken = default;
        _registration = default;
        _reply = default!;
        _failure = null;
        ResetClaim();
        _core.Reset();
        _core.RunContinuationsAsynchronously = false;
        Return(this);
    }
}
