using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>The log events of Kv.Abstractions (event ids 1000–1099). Keys and values are never logged.</summary>
internal static partial class CoreLog
{
    [LoggerMessage(EventId = 1001, EventName = "KvGcPass", Level = LogLevel.Debug,
        Message = "Kv GC pass on the {Backend} backend removed {Removed} expired entries.")]
    public static partial void CollectionPass(ILogger logger, string backend, long removed);

    [LoggerMessage(EventId = 1002, EventName = "KvGcPassFailed", Level = LogLevel.Error,
        Message = "Kv GC pass on the {Backend} backend failed; it runs again at the next interval.")]
    public static partial void CollectionPassFailed(ILogger logger, string backend, Exception exception);
}
