using Strongroom.Core;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>Versions, snapshots and soft-deleted blobs in the store (issue 7): archive on overwrite and delete, reads, deletes, undelete, listing, legal holds.</summary>
public sealed class BlobInstanceTests : StoreTestBase
{
    static readonly DateTimeOffset Deleted = T0.AddHours(1);
    static readonly DateTimeOffset Purge = T0.AddDays(8);

    static Func<BlobRecord, BlobArchive?> AsVersion(string id) => _ => new BlobArchive(BlobInstanceKind.Version, id);

    async Task<StoredObject> PutAsync(string name, string? versionId = null, Func<BlobRecord, BlobArchive?>? archive = null)
    {
        var stored = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", name) with { VersionId = versionId }, [Part(0, stored)], [stored], null, archive);
        return stored;
    }

    [Fact]
    public async Task An_overwrite_kept_as_a_version_keeps_its_objects_and_parts_and_is_readable()
    {
        await CreateContainerAsync();
        var first = await PutAsync("b", "v1");
        var next = NewObject();
        var removed = await Store.CommitBlobAsync(Blob("acct", "cont", "b") with { VersionId = "v2" }, [Part(0, next)], [next], null, AsVersion("v1"));
        Assert.Empty(removed);

        var kept = await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v1");
        Assert.NotNull(kept);
        Assert.Equal(BlobInstanceKind.Version, kept.Value.Instance.Kind);
        Assert.Equal("v1", kept.Value.Instance.Blob.VersionId);
        Assert.False(kept.Value.Instance.IsDeleted);
        AssertSameObject(first, Assert.Single(kept.Value.Parts).Object);
        Assert.Equal("v2", (await Store.GetBlobAsync("acct", "cont", "b"))!.VersionId);
    }

    [Fact]
    public async Task A_new_version_id_not_past_the_blobs_newest_is_refused_and_nothing_changes()
    {
        await CreateContainerAsync();
        await PutAsync("b", "v2");
        await PutAsync("b", "v3", AsVersion("v2"));

        // Another server stamped the same id (same clock tick) or an older one (its clock behind).
        foreach (var stale in new[] { "v3", "v1" })
        {
            var next = NewObject();
            var taken = await Assert.ThrowsAsync<InstanceIdTakenException>(() => Store.CommitBlobAsync(Blob("acct", "cont", "b") with { VersionId = stale }, [Part(0, next)], [next], null, AsVersion("v3")));
            Assert.Equal("v3", taken.NewestId);
            Assert.Equal("v3", (await Store.GetBlobAsync("acct", "cont", "b"))!.VersionId);
            Assert.Null(await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v3"));
        }

        var metadataTaken = await Assert.ThrowsAsync<InstanceIdTakenException>(() => Store.UpdateBlobPropertiesAsync("acct", "cont", "b", current => current with { VersionId = "v2" }, AsVersion("v3")));
        Assert.Equal("v3", metadataTaken.NewestId);

        // A snapshot id another server already used is refused the same way.
        await Store.CreateSnapshotAsync("acct", "cont", "b", "v5", null);
        var snapshotTaken = await Assert.ThrowsAsync<InstanceIdTakenException>(() => Store.CreateSnapshotAsync("acct", "cont", "b", "v5", null));
        Assert.Equal("v5", snapshotTaken.NewestId);

        // Past the newest instance (the snapshot included), the write lands.
        var refusedBelowSnapshot = await Assert.ThrowsAsync<InstanceIdTakenException>(() => PutAsync("b", "v4", AsVersion("v3")));
        Assert.Equal("v5", refusedBelowSnapshot.NewestId);
        await PutAsync("b", "v6", AsVersion("v3"));
        Assert.Equal("v6", (await Store.GetBlobAsync("acct", "cont", "b"))!.VersionId);
        Assert.NotNull(await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v3"));
    }

    [Fact]
    public async Task A_blob_written_before_versioning_is_kept_under_the_id_it_is_given()
    {
        await CreateContainerAsync();
        await PutAsync("b");
        await PutAsync("b", "v2", AsVersion("v-from-last-modified"));
        var kept = await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v-from-last-modified");
        Assert.Equal("v-from-last-modified", kept!.Value.Instance.Blob.VersionId);
    }

    [Fact]
    public async Task Deleting_a_blob_kept_as_soft_deleted_then_undeleting_restores_it_with_its_objects()
    {
        await CreateContainerAsync();
        var stored = await PutAsync("b");
        var removed = await Store.DeleteBlobAsync("acct", "cont", "b", null, _ => new BlobArchive(BlobInstanceKind.DeletedBlob, "d1", Deleted, Purge), null);
        Assert.Empty(removed);
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));
        var kept = await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "d1");
        Assert.Equal(Deleted, kept!.Value.Instance.DeletedOn);
        Assert.Equal(Purge, kept.Value.Instance.PurgeOn);

        Assert.Equal(1, await Store.UndeleteBlobAsync("acct", "cont", "b", restoreBlob: true));
        var restored = await Store.GetBlobWithPartsAsync("acct", "cont", "b");
        AssertSameObject(stored, Assert.Single(restored!.Value.Parts).Object);
        Assert.Null(await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "d1"));
    }

    [Fact]
    public async Task A_write_over_a_soft_deleted_blob_turns_it_into_a_soft_deleted_snapshot()
    {
        await CreateContainerAsync();
        await PutAsync("b");
        await Store.DeleteBlobAsync("acct", "cont", "b", null, _ => new BlobArchive(BlobInstanceKind.DeletedBlob, "d1", Deleted, Purge), null);
        await PutAsync("b");
        var kept = await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "d1");
        Assert.Equal(BlobInstanceKind.Snapshot, kept!.Value.Instance.Kind);
        Assert.True(kept.Value.Instance.IsDeleted);

        // Undelete with a current blob restores the snapshot (as a live snapshot), not the blob.
        Assert.Equal(1, await Store.UndeleteBlobAsync("acct", "cont", "b", restoreBlob: true));
        Assert.False((await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "d1"))!.Value.Instance.IsDeleted);
    }

    [Fact]
    public async Task Undelete_of_a_name_with_nothing_is_BlobNotFound_and_appends_nothing()
    {
        await CreateContainerAsync();
        var error = await Assert.ThrowsAsync<StorageException>(() => Store.UndeleteBlobAsync("acct", "cont", "nothing", restoreBlob: true));
        Assert.Equal(ErrorCode.BlobNotFound, error.Code);
    }

    [Fact]
    public async Task Deleting_a_version_softly_then_permanently_shreds_only_objects_nothing_else_references()
    {
        await CreateContainerAsync();
        var old = await PutAsync("b", "v1");
        await PutAsync("b", "v2", AsVersion("v1"));

        Assert.Empty(await Store.DeleteBlobInstanceAsync("acct", "cont", "b", "v1", BlobInstanceKind.Version, new InstanceDeletion(Deleted, Purge)));
        Assert.True((await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v1"))!.Value.Instance.IsDeleted);

        var dropped = await Store.DeleteBlobInstanceAsync("acct", "cont", "b", "v1", BlobInstanceKind.Version, InstanceDeletion.Permanent);
        Assert.Equal([old.ObjectId], Ids(dropped));
        Assert.Null(await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v1"));
    }

    [Fact]
    public async Task A_version_shares_objects_with_a_metadata_only_change_so_dropping_it_shreds_nothing()
    {
        await CreateContainerAsync();
        await PutAsync("b", "v1");
        await Store.UpdateBlobPropertiesAsync("acct", "cont", "b", current => current with { VersionId = "v2", Metadata = [new("k", "v")] }, AsVersion("v1"));
        Assert.Empty(await Store.DeleteBlobInstanceAsync("acct", "cont", "b", "v1", BlobInstanceKind.Version, InstanceDeletion.Permanent));
        Assert.NotNull(await Store.GetBlobWithPartsAsync("acct", "cont", "b"));
    }

    [Fact]
    public async Task An_unknown_or_wrong_kind_instance_is_VersionNotFound()
    {
        await CreateContainerAsync();
        await PutAsync("b", "v1");
        await PutAsync("b", "v2", AsVersion("v1"));
        var missing = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobInstanceAsync("acct", "cont", "b", "nope", BlobInstanceKind.Version, InstanceDeletion.Permanent));
        Assert.Equal(ErrorCode.VersionNotFound, missing.Code);
        var wrongKind = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobInstanceAsync("acct", "cont", "b", "v1", BlobInstanceKind.Snapshot, InstanceDeletion.Permanent));
        Assert.Equal(ErrorCode.VersionNotFound, wrongKind.Code);
    }

    [Fact]
    public async Task Live_snapshots_refuse_a_delete_without_a_choice_and_go_with_include()
    {
        await CreateContainerAsync();
        await PutAsync("b");
        await PutAsync("b", archive: _ => new BlobArchive(BlobInstanceKind.Snapshot, "s1"));
        var refused = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "b", null, null, snapshots: null));
        Assert.Equal(ErrorCode.SnapshotsPresent, refused.Code);
        Assert.NotNull(await Store.GetBlobAsync("acct", "cont", "b"));

        await Store.DeleteBlobSnapshotsAsync("acct", "cont", "b", new InstanceDeletion(Deleted, Purge));
        Assert.True((await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "s1"))!.Value.Instance.IsDeleted);

        // The soft-deleted snapshot stays until its purge; only the blob's own object goes.
        Assert.Single(await Store.DeleteBlobAsync("acct", "cont", "b", null, null, snapshots: InstanceDeletion.Permanent));
        Assert.NotNull(await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "s1"));
    }

    [Fact]
    public async Task Listing_with_instances_orders_each_name_as_Azure_and_resumes_at_any_position()
    {
        await CreateContainerAsync();
        await PutAsync("a", "v1");
        await PutAsync("a", archive: _ => new BlobArchive(BlobInstanceKind.Snapshot, "s1"));
        await PutAsync("a", "v3", AsVersion("v2"));
        await PutAsync("b");
        await Store.DeleteBlobAsync("acct", "cont", "b", null, _ => new BlobArchive(BlobInstanceKind.DeletedBlob, "d1", Deleted, Purge), null);
        await PutAsync("c");

        var all = await Store.ListBlobEntriesAsync(new BlobEntryQuery("acct", "cont", string.Empty, null, 100, Snapshots: true, Versions: true, Deleted: true));
        Assert.Equal(
            ["a@s1", "a@v2", "a@", "b@d1", "c@"],
            all.Select(entry => entry.Position.Name + "@" + entry.Position.InstanceId));
        Assert.Null(all[2].Instance);
        Assert.Equal(BlobInstanceKind.DeletedBlob, all[3].Instance!.Kind);

        var plain = await Store.ListBlobEntriesAsync(new BlobEntryQuery("acct", "cont", string.Empty, null, 100, Snapshots: false, Versions: false, Deleted: false));
        Assert.Equal(["a", "c"], plain.Select(entry => entry.Position.Name));

        for (var i = 0; i < all.Count; i++)
        {
            var page = await Store.ListBlobEntriesAsync(new BlobEntryQuery("acct", "cont", string.Empty, all[i].Position, 1, true, true, true));
            Assert.Equal(all[i].Position, Assert.Single(page).Position);
        }
    }

    [Fact]
    public async Task Legal_holds_refuse_deletes_and_overwrites_that_keep_no_version()
    {
        await CreateContainerAsync();
        await PutAsync("held", "v1");
        using (var connection = OpenRawConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE blobs SET legal_hold = 1 WHERE name = 'held'";
            command.ExecuteNonQuery();
        }

        var delete = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "held", null, AsVersion("v1"), null));
        Assert.Equal(ErrorCode.BlobImmutableDueToLegalHold, delete.Code);
        var overwrite = await Assert.ThrowsAsync<StorageException>(() => PutAsync("held"));
        Assert.Equal(ErrorCode.BlobImmutableDueToLegalHold, overwrite.Code);

        // Kept as a previous version, the held state survives: the write goes through, and the
        // held version cannot be deleted.
        await PutAsync("held", "v2", AsVersion("v1"));
        var version = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobInstanceAsync("acct", "cont", "held", "v1", BlobInstanceKind.Version, InstanceDeletion.Permanent));
        Assert.Equal(ErrorCode.BlobImmutableDueToLegalHold, version.Code);

        await PutAsync("free");
        using (var connection = OpenRawConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE containers SET legal_hold_tags = '[\"case\"]' WHERE name = 'cont'";
            command.ExecuteNonQuery();
        }

        var underContainer = await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "free", null, null, null));
        Assert.Equal(ErrorCode.BlobImmutableDueToLegalHold, underContainer.Code);
    }
}
