using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Issue 9: two servers of one deployment, simulated by a second <see cref="BlobService"/> over a
/// second <see cref="SqlMetadataStore"/> on the same SQLite file and the same site directory. What
/// one process kept in memory (chunk locks, cached service properties) must not break a guarantee
/// when the other process changes the same things.
/// </summary>
public sealed class CrossProcessTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private const int Chunk = Limits.PageChunkBytes;
    private BlobServiceFixture fixture = null!;
    private Peer peer = null!;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Blobs.CreateContainerAsync(Account, "disks", []);
        peer = await Peer.OpenAsync(fixture);
    }

    public async Task DisposeAsync()
    {
        await peer.DisposeAsync();
        await fixture.DisposeAsync();
    }

    private static PageWriteRequest Range(string blob, long offset, long length) =>
        new(Account, "disks", blob, offset, length, AccessConditions.None, SequenceNumberConditions.None, TransactionalChecksums.None);

    private static async Task<PageWriteResult> WriteAsync(BlobService blobs, string blob, long offset, byte[] content)
    {
        using var body = new MemoryStream(content, writable: false);
        return await blobs.PutPagesAsync(Range(blob, offset, content.Length), body);
    }

    [Fact]
    public async Task Page_writes_to_one_chunk_from_two_servers_both_land_when_one_loses_the_swap()
    {
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", "disk", 2L * Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None));
        var first = BlobServiceFixture.Pattern(Limits.PageBytes, 1);
        await WriteAsync(fixture.Blobs, "disk", 0, first);

        // The peer reads chunk 0, merges its page and publishes the new chunk; just before that
        // object is durable on the site, this server writes another page of the same chunk and
        // commits. The peer's compare-and-swap then finds chunk 0 moved: its lock was not ours.
        var peerPage = BlobServiceFixture.Pattern(Limits.PageBytes, 2);
        var ourPage = BlobServiceFixture.Pattern(Limits.PageBytes, 3);
        var interleaved = 0;
        peer.Site.BeforeCommit = async _ =>
        {
            if (Interlocked.Exchange(ref interleaved, 1) == 0)
            {
                await WriteAsync(fixture.Blobs, "disk", 2 * Limits.PageBytes, ourPage);
            }
        };
        var encryptedBefore = peer.Blobs.PageChunksEncrypted;
        var result = await WriteAsync(peer.Blobs, "disk", 5 * Limits.PageBytes, peerPage);

        Assert.Equal(1, interleaved);
        Assert.Equal(1, peer.Blobs.PageChunksEncrypted - encryptedBefore); // counted once committed: the lost merge is not
        var content = await fixture.ReadAllAsync("disks", "disk");
        var expected = new byte[2 * Chunk];
        first.CopyTo(expected, 0);
        ourPage.CopyTo(expected, 2 * Limits.PageBytes);
        peerPage.CopyTo(expected, 5 * Limits.PageBytes);
        Assert.Equal(expected, content);
        var state = (await fixture.Store.GetPageBlobAsync(Account, "disks", "disk", null))!;
        Assert.Equal(result.ETag, state.Blob.ETag);

        // Every page written is listed, and the lost merge's object left the site (one chunk object).
        var ranges = await fixture.Blobs.GetPageRangesAsync(new PageRangesRequest(Account, "disks", "disk", BlobSelector.Current, null, null, null, AccessConditions.None));
        Assert.Equal([new PageRange(0, Limits.PageBytes - 1), new PageRange(2 * Limits.PageBytes, (3 * Limits.PageBytes) - 1), new PageRange(5 * Limits.PageBytes, (6 * Limits.PageBytes) - 1)], ranges.Pages);
        Assert.Equal(Assert.Single(state.Chunks).Object.ObjectId, Assert.Single(fixture.SiteFiles().Select(Path.GetFileName)));
    }

    [Fact]
    public async Task A_page_write_whose_chunk_another_server_replaced_and_deleted_before_the_read_merges_again()
    {
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", "gone", Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None));
        var first = BlobServiceFixture.Pattern(Limits.PageBytes, 1);
        await WriteAsync(fixture.Blobs, "gone", 0, first);
        var looked = (await fixture.Store.GetPageBlobAsync(Account, "disks", "gone", null))!.Chunks.Single().Object.ObjectId;

        // The peer has looked the chunk up; before it reads the object, this server replaces the
        // chunk and deletes the old object from the site. The peer finds no copy: a lost swap, not
        // a lost object, because the blob no longer names it.
        var ourPage = BlobServiceFixture.Pattern(Limits.PageBytes, 3);
        var interleaved = 0;
        peer.Site.BeforeRead = async objectId =>
        {
            if (objectId == looked && Interlocked.Exchange(ref interleaved, 1) == 0)
            {
                await WriteAsync(fixture.Blobs, "gone", 2 * Limits.PageBytes, ourPage);
                Assert.DoesNotContain(looked, fixture.SiteFiles().Select(Path.GetFileName));
            }
        };
        var peerPage = BlobServiceFixture.Pattern(Limits.PageBytes, 2);
        var result = await WriteAsync(peer.Blobs, "gone", 5 * Limits.PageBytes, peerPage);

        Assert.Equal(1, interleaved);
        var expected = new byte[Chunk];
        first.CopyTo(expected, 0);
        ourPage.CopyTo(expected, 2 * Limits.PageBytes);
        peerPage.CopyTo(expected, 5 * Limits.PageBytes);
        Assert.Equal(expected, await fixture.ReadAllAsync("disks", "gone"));
        var state = (await fixture.Store.GetPageBlobAsync(Account, "disks", "gone", null))!;
        Assert.Equal(result.ETag, state.Blob.ETag);
        Assert.Equal(Assert.Single(state.Chunks).Object.ObjectId, Assert.Single(fixture.SiteFiles().Select(Path.GetFileName)));
    }

    [Fact]
    public async Task A_page_write_whose_chunk_is_gone_while_the_blob_still_names_it_is_an_integrity_failure()
    {
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", "lost", Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None));
        await WriteAsync(fixture.Blobs, "lost", 0, BlobServiceFixture.Pattern(Limits.PageBytes, 1));
        var named = (await fixture.Store.GetPageBlobAsync(Account, "disks", "lost", null))!.Chunks.Single().Object.ObjectId;
        File.Delete(peer.Site.PathOf(named)!);

        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteAsync(peer.Blobs, "lost", 5 * Limits.PageBytes, BlobServiceFixture.Pattern(Limits.PageBytes, 2)));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, refused.Code);
        Assert.Equal(named, (await fixture.Store.GetPageBlobAsync(Account, "disks", "lost", null))!.Chunks.Single().Object.ObjectId);
    }

    [Fact]
    public async Task Many_interleaved_page_writes_from_two_servers_lose_no_page()
    {
        const int Pages = 24;
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", "many", Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None));

        // Each peer write lets one write of this server commit in between (deterministically):
        // every peer write loses its first swap and merges again, and its second wins.
        var expected = new byte[Chunk];
        var ours = 0;
        var peerCommits = 0;
        peer.Site.BeforeCommit = async _ =>
        {
            if (peerCommits++ % 2 == 0)
            {
                var page = (2 * ours) + 1;
                var bytes = BlobServiceFixture.Pattern(Limits.PageBytes, 1000 + page);
                ours++;
                await WriteAsync(fixture.Blobs, "many", page * Limits.PageBytes, bytes);
                bytes.CopyTo(expected, page * Limits.PageBytes);
            }
        };
        for (var i = 0; i < Pages / 2; i++)
        {
            var page = 2 * i;
            var bytes = BlobServiceFixture.Pattern(Limits.PageBytes, 1000 + page);
            await WriteAsync(peer.Blobs, "many", page * Limits.PageBytes, bytes);
            bytes.CopyTo(expected, page * Limits.PageBytes);
        }

        Assert.Equal(Pages / 2, ours);
        Assert.Equal(Pages, peerCommits);
        Assert.Equal(expected, await fixture.ReadAllAsync("disks", "many"));
    }

    [Fact]
    public async Task A_page_write_that_keeps_losing_its_swap_gives_up_with_a_retryable_error_and_leaves_nothing()
    {
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", "busy", Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None));
        var losses = 0;
        peer.Site.BeforeCommit = async _ =>
        {
            losses++;
            await WriteAsync(fixture.Blobs, "busy", 0, BlobServiceFixture.Pattern(Limits.PageBytes, losses));
        };

        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteAsync(peer.Blobs, "busy", Limits.PageBytes, BlobServiceFixture.Pattern(Limits.PageBytes, 99)));
        Assert.Equal(ErrorCode.PageWriteContended, refused.Code);
        Assert.Equal(Limits.PageChunkSwapAttemptsMax, losses);
        var content = await fixture.ReadAllAsync("disks", "busy");
        Assert.True(content.AsSpan(Limits.PageBytes, Limits.PageBytes).IndexOfAnyExcept((byte)0) < 0);
        Assert.Single(fixture.SiteFiles());
    }

    [Fact]
    public async Task Service_properties_set_through_another_server_take_effect_here_within_the_cache_duration()
    {
        var before = await fixture.Blobs.GetRequestPropertiesAsync(Account);
        Assert.Empty(before.Cors);

        var rule = new CorsRule("https://app.example", "GET", "*", "*", 60);
        await peer.Blobs.SetBlobServicePropertiesAsync(Account, new BlobServicePropertiesUpdate(Cors: [rule], DefaultServiceVersion: "2021-08-06"));

        // The peer sees its own Set at once; this server serves what it read until the duration ends.
        Assert.Single((await peer.Blobs.GetRequestPropertiesAsync(Account)).Cors);
        fixture.Time.Advance(Limits.ServicePropertiesCacheDuration - TimeSpan.FromSeconds(1));
        Assert.Empty((await fixture.Blobs.GetRequestPropertiesAsync(Account)).Cors);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var after = await fixture.Blobs.GetRequestPropertiesAsync(Account);
        Assert.Equal(rule, Assert.Single(after.Cors));
        Assert.Equal("2021-08-06", after.DefaultServiceVersion);

        // Removed again through the peer: gone here after the duration too.
        await peer.Blobs.SetBlobServicePropertiesAsync(Account, new BlobServicePropertiesUpdate(Cors: []));
        fixture.Time.Advance(Limits.ServicePropertiesCacheDuration);
        Assert.Empty((await fixture.Blobs.GetRequestPropertiesAsync(Account)).Cors);
    }

    [Fact]
    public async Task A_site_drained_through_another_server_takes_no_copy_of_a_write_here_that_starts_after_the_drain()
    {
        await fixture.Blobs.CreateContainerAsync(Account, "drained", []);
        await peer.Blobs.PutBlobAsync(new PutBlobRequest(Account, "drained", "before", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None), new MemoryStream([1]));

        // The only site is drained through this server; the peer's clock does not move (no
        // background refresh), yet its next write already sees the drain: no site can take it.
        await fixture.Store.SetSiteStateAsync(Topology.SingleSiteId, SiteState.Draining);
        var refused = await Assert.ThrowsAsync<StorageException>(() => peer.Blobs.PutBlobAsync(
            new PutBlobRequest(Account, "drained", "after", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
            new MemoryStream([2])));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);

        // Active again: the peer's next write lands.
        await fixture.Store.SetSiteStateAsync(Topology.SingleSiteId, SiteState.Active);
        await peer.Blobs.PutBlobAsync(new PutBlobRequest(Account, "drained", "again", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None), new MemoryStream([3]));
        Assert.Equal([3], await fixture.ReadAllAsync("drained", "again"));
    }

    [Fact]
    public async Task Writes_of_one_blob_by_two_servers_in_the_same_clock_tick_get_distinct_etags()
    {
        await fixture.Blobs.CreateContainerAsync(Account, "docs", []);

        // The fake clock does not move: both servers draw the same ticks, as two machines can.
        var first = await fixture.PutAsync("docs", "same-tick", [1, 2, 3]);
        var second = await peer.Blobs.PutBlobAsync(
            new PutBlobRequest(Account, "docs", "same-tick", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
            new MemoryStream([4, 5, 6]));

        Assert.NotEqual(first.ETag, second.ETag);
        var refused = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("docs", "same-tick", [7], conditions: new AccessConditions(IfMatch: first.ETag)));
        Assert.Equal(ErrorCode.ConditionNotMet, refused.Code);
        Assert.Equal([4, 5, 6], await fixture.ReadAllAsync("docs", "same-tick"));
    }

    [Fact]
    public async Task Versioned_writes_of_one_blob_by_two_servers_in_the_same_clock_tick_keep_every_version()
    {
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(Versioning: true));
        await fixture.Blobs.CreateContainerAsync(Account, "kept", []);

        // The fake clock does not move: both servers draw the same ticks. Before the store refused
        // an id that is not new, the third write found its predecessor's version id taken and the
        // blob could not be written again.
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var writer = i % 2 == 0 ? fixture.Blobs : peer.Blobs;
            ids.Add((await PutBlobAsync(writer, "kept", "same-tick", [(byte)i])).VersionId!);
        }

        Assert.Equal(6, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        for (var i = 0; i < ids.Count; i++)
        {
            Assert.Equal([(byte)i], await ReadVersionAsync("kept", "same-tick", ids[i]));
        }

        Assert.Equal([5], await fixture.ReadAllAsync("kept", "same-tick"));
    }

    [Fact]
    public async Task A_server_whose_clock_is_behind_still_writes_the_newest_version()
    {
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(Versioning: true));
        await fixture.Blobs.CreateContainerAsync(Account, "skew", []);
        await using var behind = await Peer.OpenAsync(fixture, new FakeTimeProvider(fixture.Time.GetUtcNow() - TimeSpan.FromSeconds(5)));

        var first = await PutBlobAsync(fixture.Blobs, "skew", "b", [1]);
        var second = await PutBlobAsync(behind.Blobs, "skew", "b", [2]);
        var third = await behind.Blobs.SetBlobMetadataAsync(Account, "skew", "b", [new("k", "v")], AccessConditions.None);

        Assert.True(string.CompareOrdinal(second.VersionId, first.VersionId) > 0, $"{second.VersionId} after {first.VersionId}");
        var current = (await fixture.Store.GetBlobAsync(Account, "skew", "b"))!;
        Assert.True(string.CompareOrdinal(current.VersionId, second.VersionId) > 0);
        Assert.Equal([1], await ReadVersionAsync("skew", "b", first.VersionId!));
        Assert.Equal([2], await ReadVersionAsync("skew", "b", second.VersionId!));
        Assert.Equal([2], await fixture.ReadAllAsync("skew", "b"));
        Assert.Equal(third.ETag, current.ETag);
    }

    [Fact]
    public async Task Snapshots_of_one_blob_by_two_servers_in_the_same_clock_tick_get_distinct_ids()
    {
        await fixture.Blobs.CreateContainerAsync(Account, "snaps", []);
        await PutBlobAsync(fixture.Blobs, "snaps", "b", [1]);

        var ours = await fixture.Blobs.SnapshotBlobAsync(Account, "snaps", "b", null, AccessConditions.None, null);
        var theirs = await peer.Blobs.SnapshotBlobAsync(Account, "snaps", "b", null, AccessConditions.None, null);

        Assert.NotEqual(ours.Snapshot, theirs.Snapshot);
        foreach (var snapshot in new[] { ours.Snapshot, theirs.Snapshot })
        {
            var reader = await fixture.Blobs.OpenBlobAsync(Account, "snaps", "b", AccessConditions.None, null, ReadLocation.Primary, new BlobSelector(Snapshot: snapshot));
            Assert.Equal(1, reader.Blob.ContentLength);
        }
    }

    [Fact]
    public async Task Soft_deletes_of_one_name_by_two_servers_in_the_same_clock_tick_keep_both_blobs()
    {
        await fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(BlobSoftDeleteDays: 7));
        await fixture.Blobs.CreateContainerAsync(Account, "bin", []);

        // Each delete keeps the blob under a deletion id from the same tick: the peer's must move on.
        await PutBlobAsync(fixture.Blobs, "bin", "b", [1]);
        await fixture.Blobs.DeleteBlobAsync(Account, "bin", "b", AccessConditions.None);
        await PutBlobAsync(peer.Blobs, "bin", "b", [2]);
        await peer.Blobs.DeleteBlobAsync(Account, "bin", "b", AccessConditions.None);

        var kept = await fixture.Store.ListBlobEntriesAsync(new BlobEntryQuery(Account, "bin", string.Empty, null, 10, true, false, Deleted: true));
        var ids = kept.Select(entry => entry.Instance!.InstanceId).ToList();
        Assert.Equal(2, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(kept, entry => Assert.NotNull(entry.Instance!.DeletedOn));
    }

    private static Task<BlobWriteResult> PutBlobAsync(BlobService blobs, string container, string blob, byte[] content) =>
        blobs.PutBlobAsync(new PutBlobRequest(Account, container, blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None), new MemoryStream(content));

    private async Task<byte[]> ReadVersionAsync(string container, string blob, string versionId)
    {
        var reader = await fixture.Blobs.OpenBlobAsync(Account, container, blob, AccessConditions.None, null, ReadLocation.Primary, new BlobSelector(versionId));
        using var content = new MemoryStream();
        await reader.CopyRangeToAsync(0, reader.Blob.ContentLength, content);
        return content.ToArray();
    }

    [Fact]
    public async Task Two_servers_creating_the_same_account_at_first_start_make_one_and_the_other_sees_it_exist()
    {
        // What EnsureDevelopmentAccountAsync relies on: the existence check runs inside the store's
        // write transaction, and writes of all processes run one at a time, so exactly one create
        // commits and the other is AccountAlreadyExists (which start treats as done).
        var outcomes = await Task.WhenAll(
            Task.Run(() => CreateAsync(fixture.Accounts)),
            Task.Run(() => CreateAsync(peer.Accounts)));

        Assert.Equal(1, outcomes.Count(created => created));
        var account = await peer.Store.GetAccountAsync("firststart");
        Assert.NotNull(account);
        var head = await fixture.Audit.GetTreeHeadAsync("firststart");
        var entries = await fixture.Audit.ReadEntriesAsync("firststart", 0, head.Size);
        Assert.Single(entries, entry => AuditEntry.Decode(entry.Body!).Action == AuditActions.CreateAccount);

        static async Task<bool> CreateAsync(AccountService accounts)
        {
            try
            {
                await accounts.CreateAsync("firststart");
                return true;
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.AccountAlreadyExists)
            {
                return false;
            }
        }
    }

    /// <summary>The second server: its own store connection to the same file, its own site object on the same directory, its own service.</summary>
    private sealed class Peer : IAsyncDisposable
    {
        private Peer(SqlMetadataStore store, FaultySite site, BlobService blobs, AccountService accounts)
        {
            Store = store;
            Site = site;
            Blobs = blobs;
            Accounts = accounts;
        }

        public AccountService Accounts { get; }

        public SqlMetadataStore Store { get; }

        public FaultySite Site { get; }

        public BlobService Blobs { get; }

        /// <summary>The peer, on the fixture's clock unless given its own (a machine whose clock differs).</summary>
        public static async Task<Peer> OpenAsync(BlobServiceFixture fixture, TimeProvider? clock = null)
        {
            var time = clock ?? fixture.Time;
            var store = await TestMetadata.OpenAsync(Path.Combine(fixture.Directory, "metadata.db"));
            var site = new FaultySite(new LocalDirectorySite("local", fixture.SiteDirectory));
            var random = new SeededRandomSource(20261201);
            var audit = new TransparencyLog(store, new CheckpointSigner(fixture.Keys.Seal), () => "0123456789abcdef", time);
            var sites = new SiteSet(Topology.SingleLocalSite(fixture.SiteDirectory), new Dictionary<string, ISite> { [Topology.SingleSiteId] = site }, time);
            var objects = new ObjectSites(sites, store, time, random);
            var placement = new PlacementService(store, sites, audit, time);
            var blobs = new BlobService(store, objects, placement, fixture.Keys, audit, time, random) { CustomerManagedKeys = fixture.CustomerKeys };
            return new Peer(store, site, blobs, new AccountService(store, placement, fixture.Keys, audit, time));
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            await Site.DisposeAsync();
        }
    }
}
