namespace Kv.Internal;

/// <summary>Marks that the configuration binding of <typeparamref name="TOptions"/> is registered, so it is bound once.</summary>
/// <typeparam name="TOptions">The options type.</typeparam>
internal sealed class KvOptionsSectionMarker<TOptions>;
