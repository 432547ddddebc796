using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs.Tests;

/// <summary>The real service over the real SQLite store and a local-directory site, in a temp directory,
/// with a fake clock and seeded randomness.</summary>
public sealed class BlobServiceFixture : IAsyncDisposable
{
    public const string Account = "tenanta";
    public const string OtherAccount = "tenantb";

    private readonly RootKey rootKey;
    private readonly Keyring keyring;

    private BlobServiceFixture(string directory, SqlMetadataStore store, LocalDirectorySite site, RootKey rootKey, Keyring keyring, FakeTimeProvider time)
    {
        Directory = directory;
        Store = store;
        Site = site;
        this.rootKey = rootKey;
        this.keyring = keyring;
        Time = time;
        var random = new SeededRandomSource(20261130);
        var keys = new TenantKeys(keyring, random, Cache);
        Audit = new TransparencyLog(store, new CheckpointSigner(keys.Seal), () => "0123456789abcdef", time);
        Sites = new SiteSet(Topology.SingleLocalSite(site.RootDirectory), new Dictionary<string, ISite> { [Topology.SingleSiteId] = site }, time);
        Objects = new ObjectSites(Sites, store, time, random);
        Placement = new PlacementService(store, Sites, Audit, time);
        Blobs = new BlobService(store, Objects, Placement, keys, Audit, time, random) { CustomerManagedKeys = CustomerKeys };
        Accounts = new AccountService(store, Placement, keys, Audit, time);
        Scopes = new EncryptionScopeService(store, keys, CustomerKeys, Audit, time);
        Keys = keys;
        Rewrapper = new KeyRewrapper(store, keys, store);
    }

    /// <summary>The tenants' vault keys (an in-memory stand-in with enable/disable).</summary>
    public FakeCustomerManagedKeys CustomerKeys { get; } = new();

    public EncryptionScopeService Scopes { get; }

    public TransparencyLog Audit { get; }

    public UnwrappedKeyCache Cache { get; } = new(capacity: 8);

    public KeyRewrapper Rewrapper { get; }

    public TenantKeys Keys { get; }

    public Keyring Keyring => keyring;

    public uint RotateKeyring() => keyring.Rotate(rootKey);

    public string Directory { get; }

    public SqlMetadataStore Store { get; }

    public LocalDirectorySite Site { get; }

    public SiteSet Sites { get; }

    public ObjectSites Objects { get; }

    public PlacementService Placement { get; }

    public FakeTimeProvider Time { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    public string SiteDirectory => Path.Combine(Directory, "site");

    public static async Task<BlobServiceFixture> CreateAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strongroom-blobs-").FullName;
        var store = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        var site = new LocalDirectorySite("local", Path.Combine(directory, "site"));
        var rootKey = new RootKey(new byte[32]);
        var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(1));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var fixture = new BlobServiceFixture(directory, store, site, rootKey, keyring, time);
        await fixture.Accounts.CreateAsync(Account);
        await fixture.Accounts.CreateAsync(OtherAccount);
        return fixture;
    }

    public async Task<byte[]> ReadAllAsync(string container, string blob, string account = Account)
    {
        var reader = await Blobs.OpenBlobAsync(account, container, blob, AccessConditions.None);
        using var output = new MemoryStream();
        await reader.CopyRangeToAsync(0, reader.Blob.ContentLength, output);
        return output.ToArray();
    }

    public Task<BlobWriteResult> PutAsync(string container, string blob, byte[] content, string account = Account, AccessConditions? conditions = null, TransactionalChecksums? checksums = null) =>
        Blobs.PutBlobAsync(
            new PutBlobRequest(account, container, blob, BlobHttpHeaders.Empty, [], conditions ?? AccessConditions.None, checksums ?? TransactionalChecksums.None),
            new MemoryStream(content));

    public Task<BlockWriteResult> StageAsync(string container, string blob, string blockId, byte[] content) =>
        Blobs.PutBlockAsync(new PutBlockRequest(Account, container, blob, blockId, TransactionalChecksums.None), new MemoryStream(content));

    public Task<BlobWriteResult> CommitAsync(string container, string blob, params BlockListEntry[] blocks) =>
        Blobs.PutBlockListAsync(new PutBlockListRequest(Account, container, blob, blocks, BlobHttpHeaders.Empty, [], AccessConditions.None));

    /// <summary>Published objects (spare files in tmp/ are empty and never published).</summary>
    public IEnumerable<string> SiteFiles() =>
        System.IO.Directory.EnumerateFiles(Path.Combine(SiteDirectory, "objects"), "*", SearchOption.AllDirectories);

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(Directory, "metadata.db"));
        await Site.DisposeAsync();
        Cache.Dispose();
        keyring.Dispose();
        rootKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static string BlockId(int n) => Convert.ToBase64String(BitConverter.GetBytes(n));

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
