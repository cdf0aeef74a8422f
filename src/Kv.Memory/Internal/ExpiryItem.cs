using System.Collections.Concurrent;

namespace Kv.Internal;

/// <summary>Where an expiring key lives: its namespace table and the key. Equal when both are the same.</summary>
internal readonly record struct ExpiryItem(ConcurrentDictionary<string, MemoryEntry> Table, string Key);
