namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// The system clock, shifted forward by every <see cref="Advance"/>: what a Redis test backend reports as "now"
/// after it emulated the passage of time on the server. Timers and timestamps stay real, so operation timeouts keep
/// measuring real time.
/// </summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
