using System.Xml.Linq;
using Kv.Internal;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kv;

/// <summary>
/// An ASP.NET Core Data Protection <see cref="IXmlRepository"/> on a Kv namespace, so every instance of an application
/// that shares the store shares the key ring (register it with <c>PersistKeysToKv</c>).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> One entry per element, with no TTL; its value is the element's XML text. The key is the
/// element's friendly name when that is a valid Kv key (Data Protection names its keys <c>key-{guid}</c>); otherwise,
/// and for an element without a friendly name, it is <c>#</c> and a SHA-256 hash of the friendly name or of the XML.</para>
/// <para><b>Like the framework's repositories.</b> <see cref="GetAllElements"/> returns every element of the namespace.
/// <see cref="StoreElement"/> adds an element and never replaces a different one: storing the same element again
/// changes nothing, and an element whose name is taken by a different element is stored under a key derived from its
/// XML instead (<c>#</c> and a SHA-256 hash). Of two instances that store different elements under one name at the
/// same moment, the later write wins; Data Protection's own names are unique, so that does not arise for its keys.</para>
/// <para><b>Synchronous.</b> <see cref="IXmlRepository"/> is synchronous, so the repository uses
/// <see cref="IKvStore.Synchronous"/>: each backend's own synchronous client calls, never a blocked task.</para>
/// <para><b>At rest.</b> The repository stores the XML as it is given. Data Protection encrypts the keys' secret
/// material only when the application configures an encryptor (<c>ProtectKeysWithCertificate</c>,
/// <c>ProtectKeysWithAzureKeyVault</c>, ...); without one, anyone who can read the namespace can read the keys.</para>
/// </remarks>
public sealed class KvXmlRepository : IDeletableXmlRepository
{
    private readonly IKvStore _store;
    private readonly ILogger _logger;

    /// <summary>Creates a repository on <paramref name="store"/>, which it uses as a whole.</summary>
    /// <param name="store">The namespace that holds the key ring; give it no other data.</param>
    /// <param name="loggerFactory">Logs a failed deletion; optional.</param>
    public KvXmlRepository(IKvStore store, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KvXmlRepository>();
    }

    /// <inheritdoc />
    /// <exception cref="KvException">The store failed.</exception>
    /// <exception cref="System.Xml.XmlException">A value of the namespace is not XML.</exception>
    public IReadOnlyCollection<XElement> GetAllElements() => [.. ReadAll().Select(e => e.Element)];

    /// <inheritdoc />
    /// <exception cref="KvException">The store failed.</exception>
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        string xml = element.ToString(SaveOptions.DisableFormatting);
        string key = KvStoreKey.From(friendlyName ?? xml, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey);
        if (!TryAdd(key, xml))
        {
            // The name holds a different element: keep both, the new one under a key derived from its XML.
            TryAdd(KvStoreKey.From("#" + xml, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey), xml);
        }
    }

    /// <inheritdoc />
    /// <exception cref="KvException">Listing the store failed.</exception>
    public bool DeleteElements(Action<IReadOnlyCollection<IDeletableElement>> chooseElements)
    {
        ArgumentNullException.ThrowIfNull(chooseElements);
        List<StoredElement> elements = ReadAll();
        chooseElements(elements);
        foreach (StoredElement element in elements.Where(e => e.DeletionOrder is not null).OrderBy(e => e.DeletionOrder))
        {
            try
            {
                _store.Synchronous.Delete(element.Key);
            }
            catch (KvException ex)
            {
                // The contract: report the failure and skip the remaining deletions.
                AspNetCoreLog.DataProtectionDeleteFailed(_logger, ex);
                return false;
            }
        }

        return true;
    }

    // Stores the XML under the key unless the key holds other XML; true when the key now holds this XML.
    private bool TryAdd(string key, string xml)
    {
        string? existing = _store.Synchronous.Get<string>(key);
        if (existing is not null)
        {
            return string.Equals(existing, xml, StringComparison.Ordinal);
        }

        _store.Synchronous.Set(key, xml);
        return true;
    }

    private List<StoredElement> ReadAll()
    {
        var elements = new List<StoredElement>();
        string? cursor = null;
        do
        {
            KvListResult page = _store.Synchronous.List(new KvListQuery { Cursor = cursor });
            foreach (KvKeyInfo info in page.Keys)
            {
                // A key deleted by another instance since the listing is skipped.
                if (_store.Synchronous.Get<string>(info.Name) is { } xml)
                {
                    elements.Add(new StoredElement(info.Name, XElement.Parse(xml)));
                }
            }

            cursor = page.Cursor;
        }
        while (cursor is not null);

        return elements;
    }

    private sealed class StoredElement(string key, XElement element) : IDeletableElement
    {
        public string Key { get; } = key;

        public XElement Element { get; } = element;

        public int? DeletionOrder { get; set; }
    }
}
