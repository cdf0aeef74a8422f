namespace Kv.Internal;

/// <summary>
/// The one operation timeout of a <see cref="RedisKv"/>: every call still waiting for its reply is linked, in the order
/// it started, into one list, and one periodic timer on real time fails the ones past <see cref="RedisKv.OperationTimeout"/>.
/// </summary>
/// <remarks>
/// <para>This replaces a timer per call (<c>Task.WaitAsync</c>): starting a call costs a lock and two links, its reply
/// a lock and an unlink. Every call gets the same timeout, so the list is ordered by deadline and a tick looks only at
/// its head. A call fails between <see cref="RedisKv.OperationTimeout"/> and one <see cref="Period"/> later.</para>
/// <para>The timer runs on <see cref="TimeProvider.System"/>, not on the adaptor's injected clock: it guards a socket
/// that can hang, and a fake clock in a test must neither disable it (a frozen server would hang the test) nor fire it
/// (moving the clock an hour ahead must not fail calls in flight). It stops when a tick finds nothing in flight, so an
/// idle adaptor has no timer running and nothing roots it, and starts again with the next call.</para>
/// </remarks>
internal sealed class RedisOperationWatchdog
{
    private static readonly TimeSpan MinPeriod = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxPeriod = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly long _timeout;
    private RedisPendingCall? _head;
    private RedisPendingCall? _tail;
    private ITimer? _timer;
    private bool _running;

    /// <summary>Creates the watchdog of one adaptor.</summary>
    /// <param name="timeout">How long a call may wait for its reply.</param>
    public RedisOperationWatchdog(TimeSpan timeout)
    {
        // A twentieth of the timeout, within [5 ms, 100 ms]: the default 5 s fails calls at most 100 ms late.
        Period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 20, MinPeriod.Ticks, MaxPeriod.Ticks));
        _timeout = (long)Math.Ceiling(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
    }

    /// <summary>How often the timer looks for calls past their deadline while any is in flight.</summary>
    public TimeSpan Period { get; }

    /// <summary>Links a call that started now; its deadline is now plus the timeout.</summary>
    /// <param name="call">A call not linked yet.</param>
    public void Track(RedisPendingCall call)
    {
        lock (_gate)
        {
            // Read under the lock, so the list stays in deadline order.
            call.Deadline = TimeProvider.System.GetTimestamp() + _timeout;
            call.Previous = _tail;
            if (_tail is null)
            {
                _head = call;
            }
            else
            {
                _tail.Next = call;
            }

            _tail = call;
            call.Linked = true;
            if (!_running)
            {
                _running = true;
                StartTimer();
            }
        }
    }

    /// <summary>Unlinks a call that completed; nothing when it is no longer linked.</summary>
    /// <param name="call">The call.</param>
    public void Untrack(RedisPendingCall call)
    {
        lock (_gate)
        {
            Unlink(call);
        }
    }

    private void StartTimer()
    {
        if (_timer is null)
        {
            // The timer would capture the execution context of the call that starts it (an HTTP request's, say) and
            // keep it for the life of the adaptor.
            bool suppressed = ExecutionContext.IsFlowSuppressed();
            AsyncFlowControl flow = suppressed ? default : ExecutionContext.SuppressFlow();
            try
            {
                _timer = TimeProvider.System.CreateTimer(static state => ((RedisOperationWatchdog)state!).Tick(), this, Period, Period);
            }
            finally
            {
                if (!suppressed)
                {
                    flow.Undo();
                }
            }
        }
        else
        {
            _timer.Change(Period, Period);
        }
    }

    private void Tick()
    {
        RedisPendingCall? expired = null;
        lock (_gate)
        {
            long now = TimeProvider.System.GetTimestamp();
            while (_head is { } call && call.Deadline <= now)
            {
                Unlink(call);

                // A call its reply or its cancellation already claimed completes there.
                if (call.TryClaim())
                {
                    call.NextExpired = expired;
                    expired = call;
                }
            }

            if (_head is null)
            {
                _running = false;
                _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        // Outside the lock: completing a call may run code of its own.
        while (expired is not null)
        {
            RedisPendingCall? next = expired.NextExpired;
            expired.NextExpired = null;
            expired.CompleteTimedOut();
            expired = next;
        }
    }

    private void Unlink(RedisPendingCall call)
    {
        if (!call.Linked)
        {
            return;
        }

        if (call.Previous is null)
        {
            _head = call.Next;
        }
        else
        {
            call.Previous.Next = call.Next;
        }

        if (call.Next is null)
        {
            _tail = call.Previous;
        }
        else
        {
            call.Next.Previous = call.Previous;
        }

        call.Previous = null;
        call.Next = null;
        call.Linked = false;
    }
}
