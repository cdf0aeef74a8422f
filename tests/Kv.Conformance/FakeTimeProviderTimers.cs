using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Time.Testing;

namespace Kv.Conformance;

/// <summary>
/// The timers running on a <see cref="FakeTimeProvider"/>. Its public API does not list them, and a
/// <c>BackgroundService</c> (which in .NET 10 runs all of <c>ExecuteAsync</c> on the thread pool) starts its timer at a
/// moment nothing else shows: until the timer exists, moving the clock moves it past the timer's first tick. This reads
/// the provider's internal waiter list (as of Microsoft.Extensions.TimeProvider.Testing 10.11.0) and fails loudly, not
/// silently, if a later version changes it.
/// </summary>
public static class FakeTimeProviderTimers
{
    private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    extension(FakeTimeProvider clock)
    {
        /// <summary>The periods of the timers that are running now (one-shot timers show as infinite).</summary>
        public IReadOnlyList<TimeSpan> ActiveTimerPeriods
        {
            get
            {
                object waiters = typeof(FakeTimeProvider).GetField("Waiters", Internal)?.GetValue(clock)
                    ?? throw new InvalidOperationException("FakeTimeProvider no longer keeps its timers in a 'Waiters' field; update FakeTimeProviderTimers.");
                var periods = new List<TimeSpan>();
                lock (waiters)
                {
                    foreach (object waiter in (IEnumerable)waiters)
                    {
                        object ticks = waiter.GetType().GetProperty("Period", Internal)?.GetValue(waiter)
                            ?? throw new InvalidOperationException("FakeTimeProvider's timers no longer have a 'Period'; update FakeTimeProviderTimers.");
                        periods.Add((long)ticks == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks((long)ticks));
                    }
                }

                return periods;
            }
        }
    }
}
