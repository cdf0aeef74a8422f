namespace Kv.Internal;

/// <summary>Marks a service collection in which <c>AddKvCore()</c> has run, so a second call registers nothing.</summary>
internal sealed class KvCoreRegistrationMarker;
