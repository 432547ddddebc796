using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Testing;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Issue 5, writes and reads: the real blob service over the real store and several sites, with
/// sites down, failing mid-stream, and copies corrupted. Every acknowledged write reads back
/// exactly; a failed write leaves nothing anywhere.
/// </summary>
public sealed class MultiSiteTests : IAsyncLifetime
{
    private MultiSiteFixture fixture = null!;

    public async Task InitializeAsync() => fixture = await MultiSiteFixture.CreateAsync();

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    // Four and a half segments: reads cross segment boundaries, and a copy can fail between them.
    private static readonly byte[] Content = MultiSiteFixture.Pattern((4 * 64 * 1024) + 30_000, 7);

    private static readonly string[] Primary = TestSites.Primary;

    [Fact]
    public async Task Lrs_with_every_site_up_writes_three_present_copies_and_names_them_in_the_log()
    {
        var before = (await fixture.EntriesAsync()).Count;
        await fixture.PutAsync("b", Content);

        var stored = await fixture.ObjectOfAsync("b");
        Assert.All(Primary, id => Assert.Equal(CopyState.Present, MultiSiteFixture.StateOn(stored, id)));
        Assert.All(Primary, id => Assert.True(fixture.TestSites.Holds(id, stored.ObjectId)));
        Assert.Equal(0, fixture.WorkQueued);
        Assert.Equal(Content, await fixture.ReadAsync("b"));

        var entry = Assert.Single((await fixture.EntriesAsync()).Skip(before));
        Assert.Equal(nameof(BlobOperation.PutBlob), entry.Action);
        Assert.Equal(Primary, entry.Sites.Order(StringComparer.Ordinal));
        Assert.Equal(["CN"], entry.Jurisdictions);
    }

    [Fact]
    public async Task Lrs_with_one_site_down_succeeds_owes_one_pending_copy_and_wakes_repair()
    {
        fixture["east-2"].Down = true;
        await fixture.PutAsync("b", Content);

        var stored = await fixture.ObjectOfAsync("b");
        Assert.Equal(CopyState.Pending, MultiSiteFixture.StateOn(stored, "east-2"));
        Assert.Equal(2, stored.Copies.Count(copy => copy.State == CopyState.Present));
        Assert.False(fixture.TestSites.Holds("east-2", stored.ObjectId));
        Assert.False(fixture.Sites.IsUp("east-2"));
        Assert.True(fixture.WorkQueued >= 1);
        Assert.Equal(Content, await fixture.ReadAsync("b"));

        // The log names the owed copy's site too: it is where the object will be.
        var entry = (await fixture.EntriesAsync()).Last(e => e.Action == nameof(BlobOperation.PutBlob));
        Assert.Contains("east-2", entry.Sites);
    }

    [Fact]
    public async Task Lrs_with_two_sites_down_is_refused_and_leaves_nothing_anywhere()
    {
        fixture["east-1"].Down = true;
        fixture["east-3"].Down = true;
        var before = (await fixture.EntriesAsync()).Count;

        var refused = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("b", Content));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);

        Assert.True(fixture.TestSites.AllEmpty());
        Assert.Null(await fixture.Store.GetBlobAsync(MultiSiteFixture.Account, "box", "b"));
        Assert.Equal(before, (await fixture.EntriesAsync()).Count);
    }

    [Fact]
    public async Task Losing_the_quorum_mid_stream_is_refused_and_leaves_nothing_anywhere()
    {
        fixture["east-1"].FailWriteAfterBytes = 70_000;
        fixture["east-2"].FailWriteAfterBytes = 150_000;

        var refused = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("b", Content));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);
        Assert.True(fixture.TestSites.AllEmpty());
        Assert.Null(await fixture.Store.GetBlobAsync(MultiSiteFixture.Account, "box", "b"));
    }

    [Fact]
    public async Task A_site_failing_mid_stream_is_dropped_and_the_write_succeeds()
    {
        fixture["east-3"].FailWriteAfterBytes = 100_000;
        await fixture.PutAsync("b", Content);

        var stored = await fixture.ObjectOfAsync("b");
        Assert.Equal(CopyState.Pending, MultiSiteFixture.StateOn(stored, "east-3"));
        Assert.Empty(fixture.TestSites.PartialFiles("east-3"));
        Assert.Equal(Content, await fixture.ReadAsync("b"));
    }

    [Fact]
    public async Task A_flipped_byte_in_one_copy_is_read_around_and_the_copy_marked_bad()
    {
        await fixture.PutAsync("b", Content);
        var stored = await fixture.ObjectOfAsync("b");

        // east-1 is read first (primary region, up, local, then by id); its second segment is corrupt.
        fixture.TestSites.CorruptAtRest("east-1", stored.ObjectId, 32 + 64 * 1024 + 100);
        var before = (await fixture.EntriesAsync()).Count;

        Assert.Equal(Content, await fixture.ReadAsync("b"));

        var after = await fixture.ObjectOfAsync("b");
        Assert.Equal(CopyState.Bad, MultiSiteFixture.StateOn(after, "east-1"));
        Assert.Equal(CopyState.Present, MultiSiteFixture.StateOn(after, "east-2"));
        Assert.True(fixture.Sites.IsUp("east-1"));
        Assert.True(fixture.WorkQueued >= 1);

        var entry = Assert.Single((await fixture.EntriesAsync()).Skip(before));
        Assert.Equal(AuditActions.CopyMarkedBad, entry.Action);
        Assert.Equal("/tenanta/box/b", entry.Resource);
        Assert.Equal(["east-1"], entry.Sites);
        Assert.Equal(["CN"], entry.Jurisdictions);
        Assert.Equal(stored.ObjectId, entry.Detail("objectId"));
        Assert.Equal("integrityCheckFailed", entry.Detail("reason"));

        // The next read skips the bad copy.
        fixture["east-1"].FailOpenRead = true;
        Assert.Equal(Content, await fixture.ReadAsync("b"));
    }

    [Fact]
    public async Task A_byte_flipped_in_flight_is_read_around_from_the_right_offset()
    {
        await fixture.PutAsync("b", Content);
        fixture["east-1"].FlipByteAt = 32 + (3 * (64 * 1024 + 16)) + 5;

        // A range that starts inside the first segment and ends in the last.
        Assert.Equal(Content.AsSpan(1000, Content.Length - 2000).ToArray(), await fixture.ReadAsync("b", 1000, Content.Length - 2000));
    }

    [Fact]
    public async Task A_copy_failing_mid_read_after_some_bytes_continues_from_the_next_copy()
    {
        await fixture.PutAsync("b", Content);
        fixture["east-1"].FailReadAfterBytes = 32 + (2 * (64 * 1024 + 16)) + 1000;

        Assert.Equal(Content, await fixture.ReadAsync("b"));

        var stored = await fixture.ObjectOfAsync("b");
        Assert.Equal(CopyState.Bad, MultiSiteFixture.StateOn(stored, "east-1"));
        Assert.False(fixture.Sites.IsUp("east-1"));
        var entry = (await fixture.EntriesAsync()).Last();
        Assert.Equal(AuditActions.CopyMarkedBad, entry.Action);
        Assert.Equal("readFailed", entry.Detail("reason"));
    }

    [Fact]
    public async Task A_missing_copy_is_read_around_and_marked_bad_without_marking_its_site_down()
    {
        await fixture.PutAsync("b", Content);
        var stored = await fixture.ObjectOfAsync("b");
        await fixture.TestSites.Local("east-1").DeleteAsync(stored.ObjectId);

        Assert.Equal(Content, await fixture.ReadAsync("b"));
        Assert.Equal(CopyState.Bad, MultiSiteFixture.StateOn(await fixture.ObjectOfAsync("b"), "east-1"));
        Assert.True(fixture.Sites.IsUp("east-1"));
        Assert.Equal("missing", (await fixture.EntriesAsync()).Last().Detail("reason"));
    }

    [Fact]
    public async Task Every_copy_bad_fails_the_read_with_an_integrity_error_and_no_wrong_byte()
    {
        await fixture.PutAsync("b", Content);
        var stored = await fixture.ObjectOfAsync("b");
        foreach (var id in Primary)
        {
            fixture.TestSites.CorruptAtRest(id, stored.ObjectId, 32 + 10);
        }

        var reader = await fixture.Blobs.OpenBlobAsync(MultiSiteFixture.Account, "box", "b", AccessConditions.None);
        using var output = new MemoryStream();
        var failed = await Assert.ThrowsAsync<StorageException>(() => reader.CopyRangeToAsync(0, Content.Length, output));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, failed.Code);
        Assert.Equal(0, output.Length);

        // Every copy failing authentication may be the key's fault, not the copies': none is condemned on that alone.
        var after = await fixture.ObjectOfAsync("b");
        Assert.All(Primary, id => Assert.Equal(CopyState.Present, MultiSiteFixture.StateOn(after, id)));
    }

    [Fact]
    public async Task Copies_failing_one_after_another_still_give_the_right_bytes()
    {
        await fixture.PutAsync("b", Content);
        fixture["east-1"].FailReadAfterBytes = 32 + 64 * 1024 + 16 + 10;
        fixture["east-2"].FlipByteAt = 32 + (2 * (64 * 1024 + 16)) + 7;

        Assert.Equal(Content, await fixture.ReadAsync("b"));

        var stored = await fixture.ObjectOfAsync("b");
        Assert.Equal(CopyState.Bad, MultiSiteFixture.StateOn(stored, "east-1"));
        Assert.Equal(CopyState.Bad, MultiSiteFixture.StateOn(stored, "east-2"));
        Assert.Equal(CopyState.Present, MultiSiteFixture.StateOn(stored, "east-3"));
    }

    [Fact]
    public async Task Grs_writes_the_primary_region_and_owes_the_secondary_region()
    {
        await fixture.SetRedundancyAsync(Redundancy.Grs);
        await fixture.PutAsync("b", Content);

        var stored = await fixture.ObjectOfAsync("b");
        Assert.All(Primary, id => Assert.Equal(CopyState.Present, MultiSiteFixture.StateOn(stored, id)));
        Assert.All(TestSites.Secondary, id => Assert.Equal(CopyState.Pending, MultiSiteFixture.StateOn(stored, id)));
        Assert.All(TestSites.Secondary, id => Assert.False(fixture.TestSites.Holds(id, stored.ObjectId)));
        Assert.True(fixture.WorkQueued >= 1);

        var entry = (await fixture.EntriesAsync()).Last(e => e.Action == nameof(BlobOperation.PutBlob));
        Assert.Equal(6, entry.Sites.Count);
        Assert.DoesNotContain(TestSites.Foreign, entry.Sites);
    }

    [Fact]
    public async Task The_secondary_endpoint_reads_an_ra_grs_account_and_refuses_grs_and_lrs()
    {
        await fixture.PutAsync("b", Content);
        var lrs = await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAsync("b", location: ReadLocation.Secondary));
        Assert.Equal(ErrorCode.SecondaryNotAvailable, lrs.Code);

        await fixture.SetRedundancyAsync(Redundancy.Grs);
        var grs = await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAsync("b", location: ReadLocation.Secondary));
        Assert.Equal(ErrorCode.SecondaryNotAvailable, grs.Code);

        // Refused before the blob is looked at, as Azure does.
        var missing = await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAsync("none", location: ReadLocation.Secondary));
        Assert.Equal(ErrorCode.SecondaryNotAvailable, missing.Code);

        await fixture.SetRedundancyAsync(Redundancy.RaGrs);
        Assert.Equal(Content, await fixture.ReadAsync("b", location: ReadLocation.Secondary));
    }

    [Fact]
    public async Task The_secondary_endpoint_reads_the_secondary_region_first()
    {
        await fixture.SetRedundancyAsync(Redundancy.RaGzrs);
        await fixture.PutAsync("b", Content);
        var stored = await fixture.ObjectOfAsync("b");

        // Make the secondary copies as the replicator would, and record them.
        foreach (var id in TestSites.Secondary)
        {
            await using (var source = await fixture.TestSites.Local("east-1").OpenReadAsync(stored.ObjectId))
            await using (var write = await fixture.TestSites.Local(id).BeginWriteAsync(stored.ObjectId))
            {
                await source.CopyToAsync(write.Content);
                await write.CommitAsync();
            }
        }

        var applied = await fixture.PlacementStore.ChangeCopiesAsync(TestSites.Secondary.Select(id => new CopyChange(stored.ObjectId, id, CopyState.Pending, CopyState.Present)).ToList());
        Assert.All(applied, Assert.True);

        Assert.Equal(Content, await fixture.ReadAsync("b", location: ReadLocation.Secondary));
        Assert.All(Primary, id => Assert.Equal(0, fixture[id].ReadsOpened));
        Assert.Equal(1, fixture["north-1"].ReadsOpened);

        Assert.Equal(Content, await fixture.ReadAsync("b"));
        Assert.Equal(1, fixture["east-1"].ReadsOpened);
    }

    [Fact]
    public async Task Deleting_a_blob_removes_every_copy_and_names_the_policy_sites()
    {
        await fixture.PutAsync("b", Content);
        var stored = await fixture.ObjectOfAsync("b");
        var before = (await fixture.EntriesAsync()).Count;

        await fixture.Blobs.DeleteBlobAsync(MultiSiteFixture.Account, "box", "b", AccessConditions.None);

        Assert.All(Primary, id => Assert.False(fixture.TestSites.Holds(id, stored.ObjectId)));
        var entry = Assert.Single((await fixture.EntriesAsync()).Skip(before));
        Assert.Equal(nameof(BlobOperation.DeleteBlob), entry.Action);

        // The account's regions (primary and secondary), never the EU site.
        Assert.Equal(TestSites.Primary.Concat(TestSites.Secondary).Order(StringComparer.Ordinal), entry.Sites.Order(StringComparer.Ordinal));
        Assert.Equal(["CN"], entry.Jurisdictions);
    }

    [Fact]
    public async Task Deleting_while_a_site_is_down_leaves_a_tombstone()
    {
        await fixture.PutAsync("b", Content);
        var stored = await fixture.ObjectOfAsync("b");
        fixture["east-3"].Down = true;
        fixture.Sites.ReportFailure("east-3", new IOException("unreachable"));

        await fixture.Blobs.DeleteBlobAsync(MultiSiteFixture.Account, "box", "b", AccessConditions.None);

        Assert.Equal([new SiteObject("east-3", stored.ObjectId)], await fixture.PlacementStore.ListTombstonesAsync(null, 10));
        Assert.False(fixture.TestSites.Holds("east-1", stored.ObjectId));
        Assert.True(fixture.TestSites.Holds("east-3", stored.ObjectId));
    }

    [Fact]
    public async Task A_resident_site_refuses_a_write_outside_the_residency()
    {
        var eu = fixture.Sites.Get(TestSites.Foreign);
        var account = await fixture.Store.GetAccountAsync(MultiSiteFixture.Account);
        var policy = fixture.Placement.Resolve(account!);
        Assert.Equal(["CN"], policy.Residency);

        await Assert.ThrowsAsync<InvariantViolationException>(() => eu.BeginWriteAsync("0123456789abcdef0123456789abcdef", policy));
        Assert.Empty(fixture.TestSites.ObjectFiles(TestSites.Foreign));
        Assert.Empty(fixture.TestSites.PartialFiles(TestSites.Foreign));
    }

    [Fact]
    public async Task Blocks_go_to_several_sites_and_the_block_list_names_them()
    {
        fixture["east-2"].Down = true;
        await fixture.Blobs.PutBlockAsync(new PutBlockRequest(MultiSiteFixture.Account, "box", "blocks", BlobServiceFixture.BlockId(1), TransactionalChecksums.None), new MemoryStream(Content));
        fixture["east-2"].Heal();
        fixture.Sites.ReportSuccess("east-2");
        await fixture.Blobs.PutBlockAsync(new PutBlockRequest(MultiSiteFixture.Account, "box", "blocks", BlobServiceFixture.BlockId(2), TransactionalChecksums.None), new MemoryStream(Content[..1000]));
        var before = (await fixture.EntriesAsync()).Count;
        await fixture.Blobs.PutBlockListAsync(new PutBlockListRequest(MultiSiteFixture.Account, "box", "blocks", [new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(1)), new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(2))], BlobHttpHeaders.Empty, [], AccessConditions.None));

        var entry = Assert.Single((await fixture.EntriesAsync()).Skip(before));
        Assert.Equal(Primary, entry.Sites.Order(StringComparer.Ordinal));
        var read = await fixture.ReadAsync("blocks");
        Assert.Equal(Content.Concat(Content.Take(1000)), read);
    }
}
