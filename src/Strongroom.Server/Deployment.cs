using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.KeyVault;
using Strongroom.Placement;
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
public sealed partial class Deployment : IAsyncDisposable
{
    /// <summary>Set to <c>off</c> to run without the unwrapped-key cache (for measuring its effect).</summary>
    public const string UnwrappedKeyCacheVariable = "STRONGROOM_UNWRAPPED_KEY_CACHE";

    private int references = 1;

    private Deployment(DataDirectory directory, SealState vault, UnwrappedKeyCache? unwrappedKeys, IMetadataStore store, SiteSet sites, BlobService blobs, AccountService accounts, EncryptionScopeService scopes, KeyRewrapper rewrapper)
    {
        Directory = directory;
        Vault = vault;
        UnwrappedKeys = unwrappedKeys;
        Store = store;
        Sites = sites;
        Blobs = blobs;
        Accounts = accounts;
        Scopes = scopes;
        Rewrapper = rewrapper;
        BackgroundRewrap = new BackgroundRewrap(rewrapper);
        BackgroundRewrap.PassCompleted = RecordRewrapAsync;
        EnsureUnsealHook();
    }

    public DataDirectory Directory { get; }

    /// <summary>The seal: sealed, collecting shares, or unsealed and holding the root key and keyring.</summary>
    public SealState Vault { get; }

    public IMetadataStore Store { get; }

    /// <summary>Where <see cref="Vault"/>'s seal and keyring are stored (see <see cref="VaultFilesOf"/>).</summary>
    public IVaultFiles VaultFiles { get; private init; } = null!;

    /// <summary>The topology's sites with their backends, durable states and health.</summary>
    public SiteSet Sites { get; }

    /// <summary>The topology file the sites were read from.</summary>
    public string TopologyPath { get; private init; } = string.Empty;

    /// <summary>The topology's fingerprint (<see cref="Strongroom.Placement.TopologyFingerprint"/>): every server of a deployment runs the same one.</summary>
    public string TopologyFingerprint { get; private init; } = string.Empty;

    /// <summary>This server's instance id in the deployment (issue 9); null when no server runs this deployment in this process.</summary>
    public string? InstanceId { get; internal set; }

    /// <summary>Copies: replicated writes, read order, bad-copy reports, deletions.</summary>
    public ObjectSites Objects { get; private init; } = null!;

    /// <summary>Placement policies, last sync time, failover, locations.</summary>
    public PlacementService Placement { get; private init; } = null!;

    /// <summary>The replicator, repair, scrub and drain worker (the server runs its passes; see RepairHostedService).</summary>
    public RepairWorker Repair { get; private init; } = null!;

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    /// <summary>Encryption scopes (the CLI's <c>strongroom scope</c> commands).</summary>
    public EncryptionScopeService Scopes { get; }

    /// <summary>Unwrapped account keys: key-encryption keys and the shared keys authentication uses
    /// (null when disabled by <see cref="UnwrappedKeyCacheVariable"/>). Sealing clears it.</summary>
    public UnwrappedKeyCache? UnwrappedKeys { get; }

    /// <summary>Moves wrapped keys to the current versions (runs to completion; see also <see cref="BackgroundRewrap"/>).</summary>
    public KeyRewrapper Rewrapper { get; }

    /// <summary>The server's background rewrap; rotations request a pass. Nobody runs it in the CLI.</summary>
    public BackgroundRewrap BackgroundRewrap { get; }

    /// <summary>The tenants' vaults (the Key Vault API's service).</summary>
    public KeyVaultService KeyVault { get; private init; } = null!;

    /// <summary>The transparency logs (every account's and the platform's).</summary>
    public TransparencyLog Audit { get; private init; } = null!;

    /// <summary>The deployment id in checkpoint origins before <c>init</c> has written a seal file (never served: a server needs a seal).</summary>
    private const string DevelopmentDeploymentId = "uninitialized";

    /// <summary>Bearer tokens for the Key Vault API.</summary>
    public BearerTokens Tokens { get; private init; } = null!;

    /// <summary>Operators, tenant administrators and their sessions (the management plane).</summary>
    public IdentityService Identities { get; private init; } = null!;

    /// <summary>Lockbox requests and grants; also the data plane's grant validator.</summary>
    public LockboxService Lockbox { get; private init; } = null!;

    /// <summary>Crypto-shredding: closure, reopening, purges and the destruction sweep (issue 7).</summary>
    public Strongroom.Destruction.DestructionService Destruction { get; private init; } = null!;

    /// <summary>Cross-border transfers.</summary>
    public TransferService Transfers { get; private init; } = null!;

    /// <summary>Signed destruction certificates (issued by the destruction service, read by tenants).</summary>
    public CertificateService Certificates { get; private init; } = null!;
    /// <summary>Data-protection settings and container legal holds (issue 7).</summary>
    public ProtectionService Protection { get; private init; } = null!;

    /// <summary>Customer-managed keys of encryption scopes, backed by the tenants' vault keys.</summary>
    public ICustomerManagedKeys CustomerManagedKeys { get; private init; } = NoCustomerManagedKeys.Instance;

    /// <summary>The current keyring version. VaultSealed while sealed.</summary>
    public uint KeyringCurrentVersion
    {
        get
        {
            using var lease = Vault.AcquireKeyring();
            return lease.Keyring.CurrentVersion;
        }
    }

    /// <summary>Every keyring version, oldest first. VaultSealed while sealed.</summary>
    public IReadOnlyList<uint> KeyringVersions
    {
        get
        {
            using var lease = Vault.AcquireKeyring();
            return lease.Keyring.Versions;
        }
    }

    /// <summary>True when anything may still be wrapped by an old version (a rotation ever happened).</summary>
    public async Task<bool> MayNeedRewrapAsync(CancellationToken cancellationToken = default)
    {
        if (KeyringVersions.Count > 1)
        {
            return true;
        }

        var accounts = await Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
        return accounts.Any(account => account.KeyEncryptionKeyVersion > AccountKeyEncryptionKey.FirstVersion);
    }

    /// <summary>
    /// Adds a keyring version (the new current), re-saves the keyring under the root key the
    /// unsealed vault holds, and asks the background rewrap to move existing values over. Returns
    /// the new version. VaultSealed while sealed. Only through <see cref="RotateKeyringAsync"/>,
    /// which records it.
    /// </summary>
    private uint RotateKeyring()
    {
        uint version = 0;
        Vault.UpdateKeyring((keyring, rootKey, _) =>
        {
            version = keyring.Rotate(rootKey);
            return keyring;
        });
        BackgroundRewrap.Request();
        return version;
    }

    /// <summary>
    /// Asks the background rewrap for a pass if anything may still use an old key version (a
    /// restart interrupted one); the check runs off the caller's thread. A sealed vault or a busy
    /// store skips it: the next unseal or rotation asks again.
    /// </summary>
    public void ResumeRewrapIfNeeded() =>
        _ = Task.Run(async () =>
        {
            try
            {
                if (await MayNeedRewrapAsync().ConfigureAwait(false))
                {
                    BackgroundRewrap.Request();
                }
            }
            catch (Exception exception) when (exception is StorageException or ObjectDisposedException or InvalidOperationException)
            {
                // Sealed again, shutting down, or the store is busy: nothing to resume now.
            }
        });

    /// <summary>Adds a key-encryption-key version to the account and asks for a rewrap. AccountNotFound.</summary>
    public async Task<uint> RotateAccountKeyAsync(string account, CancellationToken cancellationToken = default)
    {
        var version = await Accounts.RotateKeyEncryptionKeyAsync(account, cancellationToken).ConfigureAwait(false);
        BackgroundRewrap.Request();
        return version;
    }

    /// <summary>
    /// Where the vault's seal and keyring are: the shared metadata database when
    /// <see cref="DataDirectory.MetadataConnectionString"/> is set, else the data directory.
    /// </summary>
    public static IVaultFiles VaultFilesOf(DataDirectory directory, SqlMetadataStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(store);
        return directory.MetadataConnectionString is null
            ? new DirectoryVaultFiles(directory.SealPath, directory.KeyringPath)
            : new StoreVaultFiles(store, store.Description, time);
    }

    /// <summary>
    /// Opens the deployment in <paramref name="directory"/>, sealed, creating the store and sites
    /// when missing, with the topology in the data directory. It holds no key until
    /// <see cref="Vault"/> is unsealed.
    /// </summary>
    public static Task<Deployment> OpenAsync(DataDirectory directory, TimeProvider time, IRandomSource random, CancellationToken cancellationToken = default) =>
        OpenAsync(directory, topologyPath: null, time, random, cancellationToken);

    /// <summary>
    /// Opens the deployment with the topology in <paramref name="topologyPath"/> (null:
    /// <see cref="DataDirectory.TopologyPath"/>, written first when absent, see
    /// <see cref="LoadTopology"/>). TopologyException when the file cannot be used.
    /// </summary>
    public static Task<Deployment> OpenAsync(DataDirectory directory, string? topologyPath, TimeProvider time, IRandomSource random, CancellationToken cancellationToken = default) =>
        OpenAsync(directory, topologyPath, new AccessOptions(), time, random, cancellationToken);

    /// <summary>As above, with the lockbox and transfer settings of <paramref name="access"/>.</summary>
    public static Task<Deployment> OpenAsync(DataDirectory directory, string? topologyPath, AccessOptions access, TimeProvider time, IRandomSource random, CancellationToken cancellationToken = default) =>
        OpenAsync(directory, topologyPath, access, development: false, time, random, cancellationToken);

    /// <summary>
    /// As above; <paramref name="development"/> says a development server (<c>--dev</c>) opens it,
    /// which with shared metadata creates the development vault in the database only once the
    /// store is open, so a deployment created now gets the development sample topology
    /// (<see cref="LoadTopology"/>). In a data directory of its own the development vault is there
    /// before, and its share says so.
    /// </summary>
    public static async Task<Deployment> OpenAsync(DataDirectory directory, string? topologyPath, AccessOptions access, bool development, TimeProvider time, IRandomSource random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(directory);
        var fresh = !await directory.DeploymentExistsAsync(cancellationToken).ConfigureAwait(false);
        directory.Create();
        var topology = LoadTopology(directory, topologyPath, fresh, development: directory.HasSharedMetadata ? development : directory.IsDevelopment);
        SealState? vault = null;
        UnwrappedKeyCache? unwrappedKeys = null;
        SqlMetadataStore? store = null;
        SiteSet? sites = null;
        try
        {
            store = directory.MetadataConnectionString is { } shared
                ? await SqlMetadataStore.OpenPostgresAsync(shared, cancellationToken).ConfigureAwait(false)
                : await SqlMetadataStore.OpenSqliteAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);

            // Servers sharing the metadata database share its vault (each has a data directory of
            // its own); one server alone keeps the seal and keyring in its data directory.
            vault = new SealState(VaultFilesOf(directory, store, time), random);

            sites = SiteBackends.Open(topology, random, time);
            sites.ApplyStates(await ((IPlacementStore)store).GetSiteStatesAsync(cancellationToken).ConfigureAwait(false));
            unwrappedKeys = string.Equals(Environment.GetEnvironmentVariable(UnwrappedKeyCacheVariable), "off", StringComparison.OrdinalIgnoreCase)
                ? null
                : new UnwrappedKeyCache();
            var tenantKeys = new TenantKeys(vault, random, unwrappedKeys);
            // The id never changes once init wrote it (rekey keeps it), so it is read once: Status
            // takes the seal's write lock, which must not be asked for under a keyring lease.
            string? deploymentId = null;
            var audit = new TransparencyLog(
                (IAuditStore)store,
                new CheckpointSigner(vault),
                () => deploymentId ?? (deploymentId = vault.Status.DeploymentId) ?? DevelopmentDeploymentId,
                time);
            var keyVault = new KeyVaultService((IKeyVaultStore)store, tenantKeys, audit, time, random);
            ICustomerManagedKeys customerKeys = new VaultCustomerManagedKeys(keyVault);
            var objects = new ObjectSites(sites, (IPlacementStore)store, time, random);
            var placement = new PlacementService(store, sites, audit, time);
            var repair = new RepairWorker(store, sites, placement, audit, time, random);
            objects.WorkQueued += repair.Wake;
            var blobs = new BlobService(store, objects, placement, tenantKeys, audit, time, random) { CustomerManagedKeys = customerKeys };
            var accounts = new AccountService(store, placement, tenantKeys, audit, time);
            var scopes = new EncryptionScopeService(store, tenantKeys, customerKeys, audit, time);
            var identities = new IdentityService(store, audit, tenantKeys, time, random);

            // The destruction service issues through it (its IssueAsync); the plane and the CLI read through it.
            var certificates = new CertificateService(store, audit, time);
            return new Deployment(directory, vault, unwrappedKeys, store, sites, blobs, accounts, scopes, new KeyRewrapper(store, tenantKeys, (IKeyVaultStore)store))
            {
                TopologyPath = Path.GetFullPath(topologyPath ?? directory.TopologyPath),
                VaultFiles = VaultFilesOf(directory, store, time),
                TopologyFingerprint = Strongroom.Placement.TopologyFingerprint.Of(topology),
                Time = time,
                Objects = objects,
                Placement = placement,
                Repair = repair,
                KeyVault = keyVault,
                Tokens = new BearerTokens(store, tenantKeys, time),
                CustomerManagedKeys = customerKeys,
                Audit = audit,
                Certificates = certificates,
                Identities = identities,
                Lockbox = new LockboxService(store, audit, identities, tenantKeys, time, random, access),
                Transfers = new TransferService(store, audit, sites, placement, time, random, access),
                Protection = new ProtectionService(store, audit),

                Destruction = new Strongroom.Destruction.DestructionService(store, sites, tenantKeys, audit, time, random, certificates.IssueAsync),
            };
        }
        catch
        {
            unwrappedKeys?.Dispose();
            if (sites is not null)
            {
                await sites.DisposeAsync().ConfigureAwait(false);
            }

            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            vault?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The topology: <paramref name="topologyPath"/> when given; otherwise the data directory's
    /// file, written first when absent — the development sample (nine directory sites under
    /// <c>sites/</c>) for a development directory created now, else the single-site default, whose
    /// one site <c>local</c> is the directory that data directories from before the topology used.
    /// With shared metadata the default is written only for a deployment created now: a server
    /// joining an existing one must be given its topology. <paramref name="development"/>: the
    /// deployment is a development one (its vault's development share, asked of the store that
    /// holds it, or a <c>--dev</c> server creating it in the shared database).
    /// </summary>
    public static Topology LoadTopology(DataDirectory directory, string? topologyPath, bool fresh, bool development)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (topologyPath is not null)
        {
            return TopologyFile.Load(topologyPath);
        }

        var path = directory.TopologyPath;
        if (!File.Exists(path))
        {
            if (directory.HasSharedMetadata && !fresh)
            {
                // A default written here would name sites of this server alone, beside the shared ones.
                throw new TopologyException(
                    $"{path} does not exist and the shared metadata database ({directory.MetadataDescription}) already holds a deployment: " +
                    "every server of a deployment uses the same sites, so copy the deployment's topology file there or pass --topology FILE.");
            }

            var sitesRelative = Path.GetRelativePath(directory.Root, directory.SitesDirectory).Replace(Path.DirectorySeparatorChar, '/');
            var text = fresh && development
                ? TopologyFile.DevelopmentSample(sitesRelative)
                : TopologyFile.SingleSite(Path.GetRelativePath(directory.Root, directory.LocalSiteDirectory).Replace(Path.DirectorySeparatorChar, '/'));
            WriteNewFile(path, text);
        }

        return TopologyFile.Load(path);
    }

    /// <summary>Writes a file that does not exist yet, durably (temp, fsync, rename); another process that wrote it first wins.</summary>
    private static void WriteNewFile(string path, string text)
    {
        var partial = $"{path}.{Environment.ProcessId}.partial";
        using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(partial, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(partial);
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
    /// True when the metadata store is shared (<see cref="DataDirectory.MetadataConnectionString"/>):
    /// other servers of the deployment write to the same store and the same sites at any moment.
    /// </summary>
    public bool SharesMetadata => Directory.MetadataConnectionString is not null;

    /// <summary>The clock the deployment's services run on.</summary>
    public TimeProvider Time { get; private init; } = TimeProvider.System;

    /// <summary>
    /// Readies the deployment to accept writes; the server calls it once, at start, before
    /// listening. It deletes what interrupted writes left behind: partial files, and site objects
    /// the store does not reference (a write publishes its object before the store commits it, so
    /// a crash in between leaves one that was never acknowledged and that nothing can read). Then
    /// the local site starts keeping spare files. Returns how many unreferenced objects were removed.
    ///
    /// Alone on its store (embedded SQLite) no write can be in flight at start, so everything
    /// unreferenced goes at once. On a shared store (<see cref="SharesMetadata"/>) another server
    /// may be between publishing an object and committing it — an object about to be acknowledged
    /// — and its partial files are live: only partial files untouched for
    /// <see cref="Limits.AbandonedWriteGrace"/> are deleted, and unreferenced objects are left to
    /// the repair worker's orphan scan, which deletes one only when two scans
    /// <see cref="Limits.OrphanGrace"/> apart both found it unreferenced.
    /// </summary>
    public async Task<int> PrepareToServeAsync(CancellationToken cancellationToken = default)
    {
        var shared = SharesMetadata;
        var removed = 0;
        foreach (var site in Sites.All)
        {
            var local = site.Backend as LocalDirectorySite;
            local?.RemoveAbandonedWrites(shared ? Time.GetUtcNow() - Limits.AbandonedWriteGrace : null);
            if (!shared)
            {
                try
                {
                    removed += await SweepOrphansAsync(site.Backend, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException exception)
                {
                    // A site that cannot be listed now is down: the repair worker's orphan scans reach it later.
                    Sites.ReportFailure(site.Id, exception);
                }
            }

            local?.StartSpareFiles();
        }

        return removed;
    }

    private async Task<int> SweepOrphansAsync(ISite site, CancellationToken cancellationToken)
    {
        // The site is listed before the store: an object committed between the two reads then
        // appears in the store's set and is kept. The other order could delete it.
        var onSite = new List<string>();
        await foreach (var objectId in site.ListObjectIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            onSite.Add(objectId);
        }

        if (onSite.Count == 0)
        {
            return 0;
        }

        var referenced = await Store.ListObjectIdsAsync(site.Id, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var objectId in onSite)
        {
            if (!referenced.Contains(objectId))
            {
                await site.DeleteAsync(objectId, cancellationToken).ConfigureAwait(false);
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
            await Sites.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Vault.Dispose();
            UnwrappedKeys?.Dispose();
        }
    }
}
