using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Testing;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// The real blob service over the real SQLite store and seven local directory sites behind fault
/// injection (<see cref="TestSites"/>: three in cn-east, three in cn-north, one in the EU), with a
/// fake clock and seeded randomness. The default account is LRS in cn-east with cn-north as its
/// secondary region (the deployment default over this topology).
/// </summary>
public sealed class MultiSiteFixture : IAsyncDisposable
{
    public const string Account = "tenanta";

    private readonly RootKey rootKey;
    private readonly Keyring keyring;
    private readonly UnwrappedKeyCache cache = new(capacity: 8);

    private MultiSiteFixture(string directory, SqlMetadataStore store, RootKey rootKey, Keyring keyring, FakeTimeProvider time)
    {
        Directory = directory;
        Store = store;
        this.rootKey = rootKey;
        this.keyring = keyring;
        Time = time;
        var random = new SeededRandomSource(20261130);
        var keys = new TenantKeys(keyring, random, cache);
        Audit = new TransparencyLog(store, new CheckpointSigner(keys.Seal), () => "0123456789abcdef", time);
        TestSites = new TestSites(directory, time);
        Objects = new ObjectSites(TestSites.Sites, store, time, random);
        Objects.WorkQueued += () => WorkQueued++;
        Objects.ProblemNoted += Problems.Add;
        Placement = new PlacementService(store, TestSites.Sites, Audit, time);
        Blobs = new BlobService(store, Objects, Placement, keys, Audit, time, random);
        Accounts = new AccountService(store, Placement, keys, Audit, time);
    }

    public string Directory { get; }

    public SqlMetadataStore Store { get; }

    public IPlacementStore PlacementStore => Store;

    public FakeTimeProvider Time { get; }

    public TransparencyLog Audit { get; }

    public TestSites TestSites { get; }

    public SiteSet Sites => TestSites.Sites;

    public ObjectSites Objects { get; }

    public PlacementService Placement { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    /// <summary>How often the repair worker was asked for a pass.</summary>
    public int WorkQueued { get; private set; }

    public List<string> Problems { get; } = [];

    public FaultInjectingSite this[string siteId] => TestSites[siteId];

    public static async Task<MultiSiteFixture> CreateAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strongroom-multisite-").FullName;
        var store = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        var rootKey = new RootKey(new byte[32]);
        var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(1));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var fixture = new MultiSiteFixture(directory, store, rootKey, keyring, time);
        await fixture.Accounts.CreateAsync(Account);
        await fixture.Blobs.CreateContainerAsync(Account, "box", []);
        return fixture;
    }

    /// <summary>Gives the account <paramref name="redundancy"/> (residency CN, cn-east, secondary cn-north), directly in the store.</summary>
    public Task SetRedundancyAsync(Redundancy redundancy, string account = Account) =>
        PlacementStore.SetAccountPlacementAsync(account, TestSites.Policy(redundancy));

    public Task<BlobWriteResult> PutAsync(string blob, byte[] content, string container = "box") =>
        Blobs.PutBlobAsync(
            new PutBlobRequest(Account, container, blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
            new MemoryStream(content));

    public async Task<byte[]> ReadAsync(string blob, long offset = 0, long? count = null, ReadLocation location = ReadLocation.Primary, string container = "box")
    {
        var reader = await Blobs.OpenBlobAsync(Account, container, blob, AccessConditions.None, null, location);
        using var output = new MemoryStream();
        await reader.CopyRangeToAsync(offset, count ?? (reader.Blob.ContentLength - offset), output);
        return output.ToArray();
    }

    /// <summary>The blob's one object (a Put Blob), with its copies, as the store has it.</summary>
    public async Task<StoredObject> ObjectOfAsync(string blob, string container = "box")
    {
        var found = await Store.GetBlobWithPartsAsync(Account, container, blob);
        Assert.True(found.HasValue);
        return Assert.Single(found.Value.Parts).Object;
    }

    public static CopyState StateOn(StoredObject stored, string siteId) => stored.Copies.Single(copy => copy.SiteId == siteId).State;

    public async Task<IReadOnlyList<AuditEntry>> EntriesAsync(long from = 0) => await Audit.EntriesAsync(Account, from);

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(Directory, "metadata.db"));
        await TestSites.DisposeAsync();
        cache.Dispose();
        keyring.Dispose();
        rootKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static byte[] Pattern(int length, int seed) => BlobServiceFixture.Pattern(length, seed);
}
