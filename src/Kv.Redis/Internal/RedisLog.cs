using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The Redis backend's log events. None of them carries a key, a value or an exception message from the client
/// library (whose messages can name the key): operations are named by kind, failures by exception type.
/// </summary>
internal static partial class RedisLog
{
    public const int ConnectingEventId = 2001;
    public const int ConnectFailedEventId = 2002;
    public const int ConnectionFailedEventId = 2003;
    public const int ConnectionRestoredEventId = 2004;
    public const int OperationTimedOutEventId = 2005;
    public const int OperationFailedEventId = 2006;
    public const int ConfigurationIgnoredEventId = 2007;
    public const int EvictionPolicyEventId = 2008;
    public const int EvictionPolicyUnknownEventId = 2009;

    [LoggerMessage(EventId = ConnectingEventId, EventName = "RedisKvConnecting", Level = LogLevel.Information,
        Message = "Redis Kv is connecting to {EndPoints}.")]
    public static partial void Connecting(ILogger logger, IEnumerable<EndPoint> endPoints);

    [LoggerMessage(EventId = ConnectFailedEventId, EventName = "RedisKvConnectFailed", Level = LogLevel.Error,
        Message = "Redis Kv could not get its connection ({ExceptionType}); the next operation tries again.")]
    public static partial void ConnectFailed(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = ConnectionFailedEventId, EventName = "RedisKvConnectionFailed", Level = LogLevel.Warning,
        Message = "The Redis connection to {EndPoint} ({ConnectionType}) failed: {FailureType}. StackExchange.Redis reconnects by itself.")]
    public static partial void ConnectionFailed(ILogger logger, EndPoint? endPoint, ConnectionType connectionType, ConnectionFailureType failureType);

    [LoggerMessage(EventId = ConnectionRestoredEventId, EventName = "RedisKvConnectionRestored", Level = LogLevel.Information,
        Message = "The Redis connection to {EndPoint} ({ConnectionType}) is restored.")]
    public static partial void ConnectionRestored(ILogger logger, EndPoint? endPoint, ConnectionType connectionType);

    [LoggerMessage(EventId = OperationTimedOutEventId, EventName = "RedisKvOperationTimedOut", Level = LogLevel.Warning,
        Message = "The Redis Kv operation {Operation} did not complete within {Timeout}.")]
    public static partial void OperationTimedOut(ILogger logger, string operation, TimeSpan timeout);

    [LoggerMessage(EventId = OperationFailedEventId, EventName = "RedisKvOperationFailed", Level = LogLevel.Warning,
        Message = "The Redis Kv operation {Operation} failed ({ExceptionType}).")]
    public static partial void OperationFailed(ILogger logger, string operation, string exceptionType);

    [LoggerMessage(EventId = ConfigurationIgnoredEventId, EventName = "RedisKvConfigurationIgnored", Level = LogLevel.Warning,
        Message = "Redis Kv uses the IConnectionMultiplexer registered in dependency injection; its own Configuration and ConfigurationOptions are ignored.")]
    public static partial void ConfigurationIgnored(ILogger logger);

    [LoggerMessage(EventId = EvictionPolicyEventId, EventName = "RedisKvEvictionPolicy", Level = LogLevel.Warning,
        Message = "{Problem}")]
    public static partial void EvictionPolicy(ILogger logger, string problem);

    [LoggerMessage(EventId = EvictionPolicyUnknownEventId, EventName = "RedisKvEvictionPolicyUnknown", Level = LogLevel.Warning,
        Message = "Redis Kv could not read the servers' maxmemory-policy ({ExceptionType}); Kv needs noeviction.")]
    public static partial void EvictionPolicyUnknown(ILogger logger, string exceptionType);
}
