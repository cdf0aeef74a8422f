using System.Globalization;

namespace Kv;

/// <summary>Settings of <see cref="MemoryKv"/>. Bound from the <c>Kv:Memory</c> configuration section.</summary>
public sealed class MemoryKvOptions
{
    /// <summary>The configuration section the memory options bind from.</summary>
    public const string SectionName = "Kv:Memory";

    /// <summary>The longest allowed <see cref="GcInterval"/>: one day.</summary>
    public static TimeSpan MaxGcInterval { get; } = TimeSpan.FromDays(1);

    /// <summary>How often the hosted GC removes expired entries. Default 60 seconds; positive, at most one day.
    /// Expired entries are invisible to every read at once; the GC only frees their memory.</summary>
    public TimeSpan GcInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most entries the store may hold, expired-but-not-collected ones included; <see langword="null"/>
    /// (the default) for no limit. A write that would add an entry past it first collects expired entries, then
    /// fails with <see cref="KvErrorCode.CapacityExceeded"/>. Nothing is ever evicted.</summary>
    public long? MaxEntries { get; set; }

    /// <summary>The most bytes the entries may take, counted as the UTF-8 bytes of each key plus its stored value;
    /// <see langword="null"/> (the default) for no limit. A write past it fails like one past <see cref="MaxEntries"/>.</summary>
    public long? MaxBytes { get; set; }

    /// <summary>Returns what is wrong with these options, or nothing when they are valid.</summary>
    /// <returns>One message per problem.</returns>
    internal IEnumerable<string> Validate()
    {
        if (GcInterval <= TimeSpan.Zero || GcInterval > MaxGcInterval)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Kv:Memory:GcInterval must be positive and at most {MaxGcInterval}; got {GcInterval}.");
        }

        if (MaxEntries is <= 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Kv:Memory:MaxEntries must be positive when set; got {MaxEntries}.");
        }

        if (MaxBytes is <= 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Kv:Memory:MaxBytes must be positive when set; got {MaxBytes}.");
        }
    }
}
