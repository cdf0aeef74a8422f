namespace Kv.Internal;

/// <summary>Registered once by <c>AddKv()</c>, so a second call knows Kv is already there.</summary>
internal sealed class KvRegistrationMarker;
