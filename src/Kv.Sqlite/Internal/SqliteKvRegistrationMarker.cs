namespace Kv.Internal;

/// <summary>Registered once by <c>UseSqlite()</c>, so a second call registers nothing twice.</summary>
internal sealed class SqliteKvRegistrationMarker;
