using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Testing;
using Strongroom.Vault;

namespace Strongroom.Destruction.Tests;

/// <summary>
/// The real blob and destruction services over the real SQLite store and the seven fault-injecting
/// local sites of <see cref="TestSites"/>, on a fake clock with seeded randomness. Certificates are
/// recorded by a delegate (helper "certificates" owns the real ones).
/// </summary>
public sealed class DestructionFixture : IAsyncDisposable
{
    public const string Account = "tenanta";

    private readonly RootKey rootKey;
    private readonly Keyring keyring;
    private readonly UnwrappedKeyCache cache = new(capacity: 8);

    private DestructionFixture(string directory, SqlMetadataStore store, RootKey rootKey, Keyring keyring, FakeTimeProvider time)
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
        var objects = new ObjectSites(TestSites.Sites, store, time, random);
        var placement = new PlacementService(store, TestSites.Sites, Audit, time);
        Blobs = new BlobService(store, objects, placement, keys, Audit, time, random);
        Accounts = new AccountService(store, placement, keys, Audit, time);
        Destruction = new DestructionService(
            store,
            TestSites.Sites,
            keys,
            Audit,
            time,
            random,
            async (record, _) =>
            {
                // Stands in for CertificateService.IssueAsync: records the revision as issued.
                Certificates.Add(record);
                await using var connection = await TestMetadata.OpenConnectionAsync(DatabasePath);
                await using var command = connection.CreateCommand();
                command.CommandText =
                    "INSERT INTO destruction_certificates (destruction_id, revision, account, issued_on, document, signature) " +
                    "VALUES (@id, (SELECT COUNT(*) + 1 FROM destruction_certificates WHERE destruction_id = @id), @account, 0, @bytes, @bytes)";
                foreach (var (name, value) in new (string, object)[] { ("@id", record.Id), ("@account", record.Account), ("@bytes", new byte[] { 0 }) })
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = value;
                    command.Parameters.Add(parameter);
                }

                await command.ExecuteNonQueryAsync();
            });
    }

    public string Directory { get; }

    public SqlMetadataStore Store { get; }

    public FakeTimeProvider Time { get; }

    public TransparencyLog Audit { get; }

    public TestSites TestSites { get; }

    public BlobService Blobs { get; }

    public AccountService Accounts { get; }

    public DestructionService Destruction { get; }

    /// <summary>Every certificate issue the service asked for, in order.</summary>
    public List<DestructionRecord> Certificates { get; } = [];

    public string DatabasePath => Path.Combine(Directory, "metadata.db");

    public static async Task<DestructionFixture> CreateAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strongroom-destruction-").FullName;
        var store = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        var rootKey = new RootKey(new byte[32]);
        var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(1));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var fixture = new DestructionFixture(directory, store, rootKey, keyring, time);
        await fixture.Accounts.CreateAsync(Account);
        await fixture.Blobs.CreateContainerAsync(Account, "box", []);
        return fixture;
    }

    public Task SetRedundancyAsync(Redundancy redundancy) =>
        ((IPlacementStore)Store).SetAccountPlacementAsync(Account, TestSites.Policy(redundancy));

    public Task<BlobWriteResult> PutAsync(string blob, byte[] content, string container = "box") =>
        Blobs.PutBlobAsync(
            new PutBlobRequest(Account, container, blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
            new MemoryStream(content));

    public async Task<StoredObject> ObjectOfAsync(string blob, string container = "box")
    {
        var found = await Store.GetBlobWithPartsAsync(Account, container, blob);
        Assert.True(found.HasValue);
        return Assert.Single(found.Value.Parts).Object;
    }

    public bool AnySiteHolds(string objectId) => TestSites.All.Any(site => TestSites.Holds(site, objectId));

    public async Task<IReadOnlyList<AuditEntry>> EntriesAsync() => await Strongroom.Blobs.Tests.AuditLogReading.EntriesAsync(Audit, Account);

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

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
