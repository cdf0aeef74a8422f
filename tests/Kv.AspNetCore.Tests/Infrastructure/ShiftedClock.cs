namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>The system clock, moved forward by <see cref="Advance"/>: what the application sees after a Redis test
/// emulated time passing by lowering TTLs on the server. Timers and timestamps stay real.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
