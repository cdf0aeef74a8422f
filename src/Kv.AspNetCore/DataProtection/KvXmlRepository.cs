using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Kv;

/// <summary>
/// An <see cref="IXmlRepository"/> that keeps the Data Protection key ring in a Kv namespace, so every instance of an
/// application that shares the store shares the keys (a cookie protected by one instance is read by another).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> One Kv entry per element, without a TTL: the key is the element's friendly name (for a key, its
/// <c>key-{id}</c> name) and the value is the element's XML text. Data Protection never deletes elements; revoked and
/// expired keys stay in the ring, as they do in the framework's own repositories.</para>
/// <para><b>Protection at rest.</b> None of its own: the XML is written as Data Protection hands it over. Unless the
/// application adds a key encryptor (<c>ProtectKeysWithCertificate</c>, <c>ProtectKeysWithDpapi</c>, …), the master
/// keys are stored in plain text, and anyone who can read the Kv namespace can unprotect every payload.</para>
/// <para><b>Synchronous interface.</b> <see cref="IXmlRepository"/> is synchronous and Kv's API is asynchronous, so each
/// call runs the store operation on the thread pool and waits for it. Data Protection calls the repository rarely (when
/// it loads or refreshes the key ring, about once a day, and when it creates a key), never per request.</para>
/// </remarks>
public sealed class KvXmlRepository : IXmlRepository
{
    private const int PageSize = 1000;
    private readonly IKvStore _store;

    /// <summary>Creates a repository on <paramref name="store"/> (a namespace of its own).</summary>
    /// <param name="store">The Kv namespace that holds the key ring.</param>
    public KvXmlRepository(IKvStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<XElement> GetAllElements() =>
        Task.Run(async () => await GetAllElementsAsync(CancellationToken.None).ConfigureAwait(false)).GetAwaiter().GetResult();

    /// <inheritdoc />
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        Task.Run(async () => await StoreElementAsync(element, friendlyName, CancellationToken.None).ConfigureAwait(false))
            .GetAwaiter().GetResult();
    }

    /// <summary>Reads every element of the key ring.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The elements, in key order.</returns>
    public async ValueTask<IReadOnlyCollection<XElement>> GetAllElementsAsync(CancellationToken cancellationToken = default)
    {
        var elements = new List<XElement>();
        string? cursor = null;
        do
        {
            KvListResult page = await _store.ListAsync(null, PageSize, cursor, cancellationToken).ConfigureAwait(false);
            if (page.Keys.Count > 0)
            {
                string[] keys = [.. page.Keys.Select(k => k.Name)];
                IReadOnlyDictionary<string, string?> values =
                    await _store.GetManyAsync<string>(keys, cancellationToken).ConfigureAwait(false);
                foreach (string key in keys)
                {
                    if (values.TryGetValue(key, out string? xml) && xml is not null)
                    {
                        elements.Add(XElement.Parse(xml));
                    }
                }
            }

            cursor = page.Cursor;
        }
        while (cursor is not null);

        return elements;
    }

    /// <summary>Stores one element under a name derived from <paramref name="friendlyName"/>.</summary>
    /// <param name="element">The element.</param>
    /// <param name="friendlyName">Data Protection's name for it (<c>key-{id}</c>); another name is used if it is empty or already taken.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the element is stored.</returns>
    public async ValueTask StoreElementAsync(XElement element, string? friendlyName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(element);
        string name = string.IsNullOrWhiteSpace(friendlyName) || !KvKeyRules.IsValidKey(friendlyName)
            ? "element-" + Guid.NewGuid().ToString("N")
            : friendlyName;
        if (await _store.ExistsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            name += "-" + Guid.NewGuid().ToString("N");
        }

        await _store.SetAsync(name, element.ToString(SaveOptions.DisableFormatting), options: null, cancellationToken).ConfigureAwait(false);
    }
}
