namespace Kv.Benchmarks;

/// <summary>
/// A clock that moves only when told to, so the GC benchmark decides exactly which entries are expired.
/// Timers are not needed here (the benchmark calls <see cref="MemoryKv.CollectExpired"/> itself).
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private long _utcTicks;

    /// <summary>Creates a clock at <paramref name="start"/>.</summary>
    public ManualTimeProvider(DateTimeOffset start) => _utcTicks = start.UtcTicks;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
