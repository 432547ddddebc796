using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>
/// Everything one data directory holds, opened and wired: the vault's seal state, the tenant
/// keys, the metadata store, the local site and the services over them. A deployment opens
/// without keys: the keys come from <see cref="Vault"/> once it is unsealed, and every key
/// operation throws <c>StorageException(VaultSealed)</c> until then. A running server owns its
/// deployment; CLI commands run inside it (through the control socket) and only open one of their
/// own when no server runs.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string LocalSiteId = "local";

    private int references = 1;

    private Deployment(DataDirectory directory, SealState vault, IMetadataStore store, ISite site, BlobService blobs, AccountService accounts)
    {
        Directory = directory;
        Vault = vault;
        Store = store;
        Site = site;
        Blobs = blobs;
        Accounts = accounts;
    }

    public DataDirectory Directory { get; }

    /// <summary>The seal: sealed, collecting shares, or unsealed and holding the root key and keyring.</summary>
    public SealState Vault { get; }

    public IMetadataStore Store { get; }

    public ISite Site { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    /// <summary>
    /// Opens the deployment in <paramref name="directory"/>, sealed, creating the store and site
    /// when missing. It holds no key until <see cref="Vault"/> is unsealed.
    /// </summary>
    public static async Task<Deployment> OpenAsync(DataDirectory directory, TimeProvider time, IRandomSource random, CancellationToken cancellationToken = default)
    {
        directory.Create();
        var vault = new SealState(directory.SealPath, directory.KeyringPath, random);
        IMetadataStore? store = null;
        try
        {
            store = await SqliteMetadataStore.OpenAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
            var site = new LocalDirectorySite(LocalSiteId, directory.LocalSiteDirectory);
            var tenantKeys = new TenantKeys(vault, random);
            var blobs = new BlobService(store, site, tenantKeys, time, random);
            var accounts = new AccountService(store, site, tenantKeys, time);
            return new Deployment(directory, vault, store, site, blobs, accounts);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            vault.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Another reference to this open deployment (a command running inside the server): disposing
    /// the reference does not close the deployment while its owner still holds it.
    /// </summary>
    public Deployment Share()
    {
        while (true)
        {
            var current = Volatile.Read(ref references);
            if (current <= 0)
            {
                throw new ObjectDisposedException(nameof(Deployment));
            }

            if (Interlocked.CompareExchange(ref references, current + 1, current) == current)
            {
                return this;
            }
        }
    }

    /// <summary>
    /// Readies the deployment to accept writes; the server calls it once, at start, before
    /// listening, because it assumes no write is in flight. It deletes what interrupted writes left
    /// behind: partial files, and site objects the store does not reference (a write publishes its
    /// object before the store commits it, so a crash in between leaves one that was never
    /// acknowledged and that nothing can read). Then the local site starts keeping spare files.
    /// Returns how many unreferenced objects were removed.
    /// </summary>
    public async Task<int> PrepareToServeAsync(CancellationToken cancellationToken = default)
    {
        var local = Site as LocalDirectorySite;
        local?.RemoveAbandonedWrites();
        var removed = await SweepOrphansAsync(cancellationToken).ConfigureAwait(false);
        local?.StartSpareFiles();
        return removed;
    }

    private async Task<int> SweepOrphansAsync(CancellationToken cancellationToken)
    {
        // The site is listed before the store: an object committed between the two reads then
        // appears in the store's set and is kept. The other order could delete it.
        var onSite = new List<string>();
        await foreach (var objectId in Site.ListObjectIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            onSite.Add(objectId);
        }

        if (onSite.Count == 0)
        {
            return 0;
        }

        var referenced = await Store.ListObjectIdsAsync(Site.Id, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var objectId in onSite)
        {
            if (!referenced.Contains(objectId))
            {
                await Site.DeleteAsync(objectId, cancellationToken).ConfigureAwait(false);
                removed++;
            }
        }

        return removed;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Decrement(ref references) != 0)
        {
            return;
        }

        try
        {
            await Store.DisposeAsync().ConfigureAwait(false);
            switch (Site)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        finally
        {
            Vault.Dispose();
        }
    }
}
