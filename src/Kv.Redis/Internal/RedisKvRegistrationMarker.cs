namespace Kv.Internal;

/// <summary>Registered once by <c>UseRedis()</c>, so a second call registers nothing twice.</summary>
internal sealed class RedisKvRegistrationMarker;
