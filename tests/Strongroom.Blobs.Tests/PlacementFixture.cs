using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// The real blob service over the real SQLite store and ten local-directory sites wrapped by
/// <see cref="FaultySite"/>, in a temp directory, with a fake clock and seeded randomness:
/// cn-east (CN: e1 zone 1, e2 zone 2, e3 zone 3, e4 zone 1), cn-north (CN: n1 zone 1, n2 zone 2,
/// n3 zone 1), eu-west (EU: w1, w2, w3 in three zones). The deployment default is LRS in cn-east
/// with cn-north as secondary, residency CN.
/// </summary>
public sealed class PlacementFixture : IAsyncDisposable
{
    public const string Container = "data";

    private static readonly (string Id, string Region, string Zone, string Jurisdiction)[] Layout =
    [
        ("e1", "cn-east", "cn-east-1", "CN"),
        ("e2", "cn-east", "cn-east-2", "CN"),
        ("e3", "cn-east", "cn-east-3", "CN"),
        ("e4", "cn-east", "cn-east-1", "CN"),
        ("n1", "cn-north", "cn-north-1", "CN"),
        ("n2", "cn-north", "cn-north-2", "CN"),
        ("n3", "cn-north", "cn-north-1", "CN"),
        ("w1", "eu-west", "eu-west-1", "EU"),
        ("w2", "eu-west", "eu-west-2", "EU"),
        ("w3", "eu-west", "eu-west-3", "EU"),
    ];

    private readonly RootKey rootKey;
    private readonly Keyring keyring;
    private readonly UnwrappedKeyCache cache = new(capacity: 8);

    private PlacementFixture(string directory, SqlMetadataStore store, IReadOnlyDictionary<string, FaultySite> faulty, RootKey rootKey, Keyring keyring, FakeTimeProvider time, int seed)
    {
        Directory = directory;
        Store = store;
        Faulty = faulty;
        this.rootKey = rootKey;
        this.keyring = keyring;
        Time = time;
        Random = new SeededRandomSource(seed);
        var keys = new TenantKeys(keyring, Random, cache);
        Audit = new TransparencyLog(store, new CheckpointSigner(keys.Seal), () => "0123456789abcdef", time);
        var topology = new Topology(Layout.Select(site => new SiteDefinition(
            new SiteDescriptor(site.Id, site.Region, site.Zone, site.Jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active),
            new LocalDirectoryBackendOptions(faulty[site.Id].Inner.RootDirectory))).ToList());
        Sites = new SiteSet(topology, faulty.ToDictionary(pair => pair.Key, pair => (ISite)pair.Value), time);
        Objects = new ObjectSites(Sites, store, time, Random);
        Placement = new PlacementService(store, Sites, Audit, time);
        Blobs = new BlobService(store, Objects, Placement, keys, Audit, time, Random);
        Accounts = new AccountService(store, Placement, keys, Audit, time);
        Repair = new RepairWorker(store, Sites, Placement, Audit, time, Random) { Parallelism = 1 };
    }

    public string Directory { get; }

    public SqlMetadataStore Store { get; }

    public IReadOnlyDictionary<string, FaultySite> Faulty { get; }

    public FakeTimeProvider Time { get; }

    public SeededRandomSource Random { get; }

    public TransparencyLog Audit { get; }

    public SiteSet Sites { get; }

    public ObjectSites Objects { get; }

    public PlacementService Placement { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    public RepairWorker Repair { get; }

    public static async Task<PlacementFixture> CreateAsync(int seed = 20261130)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strongroom-placement-").FullName;
        var store = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        var faulty = Layout.ToDictionary(
            site => site.Id,
            site => new FaultySite(new LocalDirectorySite(site.Id, Path.Combine(directory, "sites", site.Id), new SeededRandomSource(seed))),
            StringComparer.Ordinal);
        var rootKey = new RootKey(new byte[32]);
        var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(1));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        return new PlacementFixture(directory, store, faulty, rootKey, keyring, time, seed);
    }

    /// <summary>Creates an account with a policy (null fields: the deployment default) and its container.</summary>
    public async Task CreateAccountAsync(string account, PlacementPolicyRequest? policy = null)
    {
        await Accounts.CreateAsync(account, CipherSuite.Aes256Gcm, policy);
        await Blobs.CreateContainerAsync(account, Container, []);
    }

    public Task<BlobWriteResult> PutAsync(string account, string blob, byte[] content) =>
        Blobs.PutBlobAsync(
            new PutBlobRequest(account, Container, blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
            new MemoryStream(content));

    public Task DeleteAsync(string account, string blob) => Blobs.DeleteBlobAsync(account, Container, blob, AccessConditions.None);

    public async Task<byte[]> ReadAsync(string account, string blob)
    {
        var reader = await Blobs.OpenBlobAsync(account, Container, blob, AccessConditions.None);
        using var output = new MemoryStream();
        await reader.CopyRangeToAsync(0, reader.Blob.ContentLength, output);
        return output.ToArray();
    }

    /// <summary>The blob's stored objects with their copies, as the store has them now.</summary>
    public async Task<IReadOnlyList<StoredObject>> ObjectsOfAsync(string account, string blob)
    {
        var page = await Store.ListBlobLocationsAsync(account, Container, blob, null, 10);
        return page.Blobs.Single().Objects;
    }

    public async Task<StoredObject> ObjectOfAsync(string account, string blob) => (await ObjectsOfAsync(account, blob)).Single();

    /// <summary>Takes a site down (its backend fails and this process knows it) or brings it back (the next probe finds it).</summary>
    public void SetDown(string siteId, bool down)
    {
        Faulty[siteId].Down = down;
        if (down)
        {
            Sites.ReportFailure(siteId, new IOException("injected"));
        }
    }

    /// <summary>A repair pass after the probe interval (so down sites that answer again are probed).</summary>
    public async Task<RepairPass> PassAsync()
    {
        Time.Advance(Limits.SiteProbeInterval);
        return await Repair.RunPassAsync();
    }

    /// <summary>Passes until nothing is owed (at most <paramref name="max"/>), scrubbing a full cycle first.</summary>
    public async Task ConvergeAsync(int max = 8)
    {
        Time.Advance(Limits.ScrubInterval);
        for (var pass = 0; pass < max; pass++)
        {
            await PassAsync();
            var backlog = await Store.GetPlacementBacklogAsync();
            if (backlog.PendingCopies == 0 && backlog.BadCopies == 0)
            {
                // One more full scrub: the policy check may still remove surplus copies.
                Time.Advance(Limits.ScrubInterval);
                await PassAsync();
                backlog = await Store.GetPlacementBacklogAsync();
                if (backlog.PendingCopies == 0 && backlog.BadCopies == 0)
                {
                    return;
                }
            }
        }
    }

    public SiteDescriptor Descriptor(string siteId) => Sites.Get(siteId).Descriptor;

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(Directory, "metadata.db"));
        foreach (var site in Faulty.Values)
        {
            await site.DisposeAsync();
        }

        cache.Dispose();
        keyring.Dispose();
        rootKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
