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
///
/// The root key stays in memory (<see cref="RootKeyHolder"/>) while the deployment is open, so a
/// keyring rotation can re-save the keyring; it is wiped on dispose.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string LocalSiteId = "local";

    /// <summary>Set to <c>off</c> to run without the unwrapped-key cache (for measuring its effect).</summary>
    public const string UnwrappedKeyCacheVariable = "STRONGROOM_UNWRAPPED_KEY_CACHE";

    private readonly RootKeyHolder rootKey;
    private readonly Keyring keyring;
    private int disposed;

    private Deployment(DataDirectory directory, bool rootKeyCreated, RootKeyHolder rootKey, Keyring keyring, UnwrappedKeyCache? unwrappedKeys, IMetadataStore store, ISite site, BlobService blobs, AccountService accounts, EncryptionScopeService scopes, KeyRewrapper rewrapper)
    {
        Scopes = scopes;
        Directory = directory;
        RootKeyCreated = rootKeyCreated;
        this.rootKey = rootKey;
        this.keyring = keyring;
        UnwrappedKeys = unwrappedKeys;
        Store = store;
        Site = site;
        Blobs = blobs;
        Accounts = accounts;
        Rewrapper = rewrapper;
        BackgroundRewrap = new BackgroundRewrap(rewrapper);
    }

    public DataDirectory Directory { get; }

    /// <summary>True when this open generated the root key (a new deployment).</summary>
    public bool RootKeyCreated { get; }

    public IMetadataStore Store { get; }

    public ISite Site { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    /// <summary>Encryption scopes (the CLI's <c>strongroom scope</c> commands).</summary>
    public EncryptionScopeService Scopes { get; }

    /// <summary>Unwrapped account keys: key-encryption keys and the shared keys authentication uses
    /// (null when disabled by <see cref="UnwrappedKeyCacheVariable"/>). The seal must
    /// <see cref="UnwrappedKeyCache.Clear"/> it.</summary>
    public UnwrappedKeyCache? UnwrappedKeys { get; }

    /// <summary>Moves wrapped keys to the current versions (runs to completion; see also <see cref="BackgroundRewrap"/>).</summary>
    public KeyRewrapper Rewrapper { get; }

    /// <summary>The server's background rewrap; rotations request a pass. Nobody runs it in the CLI.</summary>
    public BackgroundRewrap BackgroundRewrap { get; }

    public uint KeyringCurrentVersion => keyring.CurrentVersion;

    public IReadOnlyList<uint> KeyringVersions => keyring.Versions;

    /// <summary>True when anything may still be wrapped by an old version (a rotation ever happened).</summary>
    public async Task<bool> MayNeedRewrapAsync(CancellationToken cancellationToken = default)
    {
        if (keyring.Versions.Count > 1)
        {
            return true;
        }

        var accounts = await Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
        return accounts.Any(account => account.KeyEncryptionKeyVersion > Core.AccountKeyEncryptionKey.FirstVersion);
    }

    /// <summary>
    /// Adds a keyring version (the new current), re-saves the keyring under the root key and asks
    /// the background rewrap to move existing values over. Returns the new version.
    /// </summary>
    public uint RotateKeyring()
    {
        var version = rootKey.Use(keyring.Rotate);
        BackgroundRewrap.Request();
        return version;
    }

    /// <summary>Adds a key-encryption-key version to the account and asks for a rewrap. AccountNotFound.</summary>
    public async Task<uint> RotateAccountKeyAsync(string account, CancellationToken cancellationToken = default)
    {
        var version = await Accounts.RotateKeyEncryptionKeyAsync(account, cancellationToken).ConfigureAwait(false);
        BackgroundRewrap.Request();
        return version;
    }

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

        // The root key stays held (wiped on dispose) so that a rotation can re-save the keyring
        // and a keyring rotated by another process can be re-read.
        var rootKey = new RootKeyHolder(FileRootKey.LoadOrCreate(directory.RootKeyPath, random, out var rootKeyCreated));
        Keyring? keyring = null;
        UnwrappedKeyCache? unwrappedKeys = null;
        IMetadataStore? store = null;
        try
        {
            keyring = rootKey.Use(key => Keyring.OpenOrCreate(directory.KeyringPath, key, random));
            var opened = keyring;
            keyring.ReloadWhenVersionUnknown = () => rootKey.TryUse(opened.Reload, whenAbsent: false);
            store = await SqliteMetadataStore.OpenAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
            var site = new LocalDirectorySite(LocalSiteId, directory.LocalSiteDirectory);
            unwrappedKeys = string.Equals(Environment.GetEnvironmentVariable(UnwrappedKeyCacheVariable), "off", StringComparison.OrdinalIgnoreCase)
                ? null
                : new UnwrappedKeyCache();
            var tenantKeys = new TenantKeys(keyring, random, unwrappedKeys);
            var keyVault = new KeyVaultService((IKeyVaultStore)store, tenantKeys, time, random);
            ICustomerManagedKeys customerKeys = new VaultCustomerManagedKeys(keyVault);
            var blobs = new BlobService(store, site, tenantKeys, time, random) { CustomerManagedKeys = customerKeys };
            var accounts = new AccountService(store, site, tenantKeys, time);
            var scopes = new EncryptionScopeService(store, tenantKeys, customerKeys, time);
            return new Deployment(directory, rootKeyCreated, rootKey, keyring, unwrappedKeys, store, site, blobs, accounts, scopes, new KeyRewrapper(store, tenantKeys))
            {
                KeyVault = keyVault,
                Tokens = new BearerTokens(store, tenantKeys, time),
                CustomerManagedKeys = customerKeys,
            };
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            unwrappedKeys?.Dispose();
            keyring?.Dispose();
            rootKey.Dispose();
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
            UnwrappedKeys?.Dispose();
            keyring.Dispose();
            rootKey.Dispose();
        }
    }
}
