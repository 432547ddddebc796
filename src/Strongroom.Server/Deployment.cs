using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.KeyVault;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>
/// Everything one data directory holds, opened and wired: the keyring (opened with the root key),
/// the tenant keys, the metadata store, the local site and the services over them. The server and
/// the CLI's account commands both open a deployment; they may do so at the same time, because
/// SQLite serialises writers and the blob service reads accounts from the store on every request.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string LocalSiteId = "local";

    private readonly Keyring keyring;
    private int disposed;

    private Deployment(DataDirectory directory, bool rootKeyCreated, Keyring keyring, IMetadataStore store, ISite site, BlobService blobs, AccountService accounts)
    {
        Directory = directory;
        RootKeyCreated = rootKeyCreated;
        this.keyring = keyring;
        Store = store;
        Site = site;
        Blobs = blobs;
        Accounts = accounts;
    }

    public DataDirectory Directory { get; }

    /// <summary>True when this open generated the root key (a new deployment).</summary>
    public bool RootKeyCreated { get; }

    public IMetadataStore Store { get; }

    public ISite Site { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    /// <summary>The tenants' vaults (the Key Vault API's service).</summary>
    public KeyVaultService KeyVault { get; private set; } = null!;

    /// <summary>Bearer tokens for the Key Vault API.</summary>
    public BearerTokens Tokens { get; private set; } = null!;

    /// <summary>Customer-managed keys of encryption scopes, backed by the tenants' vault keys.</summary>
    public ICustomerManagedKeys CustomerManagedKeys { get; private set; } = NoCustomerManagedKeys.Instance;

    /// <summary>Opens the deployment in <paramref name="directory"/>, creating whatever is missing.</summary>
    public static async Task<Deployment> OpenAsync(DataDirectory directory, TimeProvider time, IRandomSource random, CancellationToken cancellationToken = default)
    {
        directory.Create();

        Keyring keyring;
        bool rootKeyCreated;

        // The root key is needed only to open the keyring: it is wiped as soon as that is done,
        // so the process holds platform keys but not the key that protects them at rest.
        using (var rootKey = FileRootKey.LoadOrCreate(directory.RootKeyPath, random, out rootKeyCreated))
        {
            keyring = Keyring.OpenOrCreate(directory.KeyringPath, rootKey, random);
        }

        IMetadataStore? store = null;
        try
        {
            store = await SqliteMetadataStore.OpenAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
            var site = new LocalDirectorySite(LocalSiteId, directory.LocalSiteDirectory);
            var tenantKeys = new TenantKeys(keyring, random);
            var blobs = new BlobService(store, site, tenantKeys, time, random);
            var accounts = new AccountService(store, site, tenantKeys, time);
            var keyVault = new KeyVaultService((IKeyVaultStore)store, tenantKeys, time, random);
            return new Deployment(directory, rootKeyCreated, keyring, store, site, blobs, accounts)
            {
                KeyVault = keyVault,
                Tokens = new BearerTokens(store, tenantKeys, time),
                CustomerManagedKeys = new VaultCustomerManagedKeys(keyVault),
            };
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            keyring.Dispose();
            throw;
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
        if (Interlocked.Exchange(ref disposed, 1) != 0)
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
            keyring.Dispose();
        }
    }
}
