using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Container soft delete and restore, legal holds and data-protection settings in the store (issue 7).</summary>
public sealed class ProtectionStoreTests : StoreTestBase
{
    private static readonly DateTimeOffset PurgeOn = T0.AddDays(7);

    private async Task<StoredObject> ContainerWithBlobAsync(string container = "cont")
    {
        await CreateContainerAsync("acct", container);
        var stored = NewObject();
        await Store.CommitBlobAsync(Blob("acct", container, "b") with { LegalHold = false }, [Part(0, stored, "A")]);
        await Store.PutUncommittedBlockAsync("acct", container, "staged", new UncommittedBlock("X", NewObject(), T0));
        return stored;
    }

    [Fact]
    public async Task Soft_delete_moves_everything_under_the_version_and_frees_the_name()
    {
        var stored = await ContainerWithBlobAsync();

        var deleted = await Store.SoftDeleteContainerAsync("acct", "cont", "01DC0000000000AA", T0, PurgeOn);

        Assert.Equal("cont", deleted.Container.Name);
        Assert.Null(await Store.GetContainerAsync("acct", "cont"));
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));
        Assert.Empty((await Store.ListContainersAsync("acct", "", null, 10)).Containers);
        var kept = await Store.GetDeletedContainerAsync("acct", "cont", "01DC0000000000AA");
        Assert.NotNull(kept);
        Assert.Equal((T0, PurgeOn), (kept.DeletedOn, kept.PurgeOn));
        Assert.Contains(stored.ObjectId, await Store.ListObjectIdsAsync("site-a"));

        // The name is free at once.
        await Store.CreateContainerAsync(Container("acct", "cont"));
        Assert.NotNull(await Store.GetContainerAsync("acct", "cont"));
    }

    [Fact]
    public async Task Restore_brings_back_the_container_its_blobs_and_staged_blocks()
    {
        var stored = await ContainerWithBlobAsync();
        await Store.SoftDeleteContainerAsync("acct", "cont", "01DC0000000000AA", T0, PurgeOn);

        var restored = await Store.RestoreContainerAsync("acct", "cont", "01DC0000000000AA", T0.AddDays(1));

        Assert.Equal("cont", restored.Name);
        var blob = await Store.GetBlobWithPartsAsync("acct", "cont", "b");
        Assert.NotNull(blob);
        Assert.Equal(stored.ObjectId, blob.Value.Parts.Single().Object.ObjectId);
        Assert.Single(await Store.GetUncommittedBlocksAsync("acct", "cont", "staged"));
        Assert.Null(await Store.GetDeletedContainerAsync("acct", "cont", "01DC0000000000AA"));
    }

    [Fact]
    public async Task Restore_refuses_a_live_name_an_unknown_version_and_an_expired_one()
    {
        await ContainerWithBlobAsync();
        await Store.SoftDeleteContainerAsync("acct", "cont", "01DC0000000000AA", T0, PurgeOn);
        await Store.CreateContainerAsync(Container("acct", "cont"));

        Assert.Equal(ErrorCode.ContainerAlreadyExists, (await Assert.ThrowsAsync<StorageException>(() => Store.RestoreContainerAsync("acct", "cont", "01DC0000000000AA", T0))).Code);
        Assert.Equal(ErrorCode.ContainerNotDeleted, (await Assert.ThrowsAsync<StorageException>(() => Store.RestoreContainerAsync("acct", "cont", "01DC0000000000AB", T0))).Code);
        Assert.Equal(ErrorCode.ContainerNotDeleted, (await Assert.ThrowsAsync<StorageException>(() => Store.RestoreContainerAsync("acct", "cont", "01DC0000000000AA", PurgeOn))).Code);

        // Nothing moved: the deleted one is still there under its version.
        Assert.NotNull(await Store.GetDeletedContainerAsync("acct", "cont", "01DC0000000000AA"));
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));
    }

    [Fact]
    public async Task Listing_with_deleted_puts_each_deleted_container_after_the_live_one_of_its_name_and_pages_between_them()
    {
        await ContainerWithBlobAsync("ab");
        await Store.SoftDeleteContainerAsync("acct", "ab", "0000000000000001", T0, PurgeOn);
        await Store.CreateContainerAsync(Container("acct", "ab"));
        await Store.SoftDeleteContainerAsync("acct", "ab", "0000000000000002", T0, PurgeOn);
        await Store.CreateContainerAsync(Container("acct", "ab"));
        await Store.CreateContainerAsync(Container("acct", "ab-c"));
        await Store.CreateContainerAsync(Container("acct", "abc"));

        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await Store.ListContainersIncludingDeletedAsync("acct", "ab", marker, 1);
            Assert.Equal(1, page.Containers.Count + page.Deleted.Count);
            seen.AddRange(page.Containers.Select(c => c.Name));
            seen.AddRange(page.Deleted.Select(d => d.Container.Name + "@" + d.Version));
            marker = page.NextName;
        }
        while (marker is not null);

        Assert.Equal(["ab", "ab@0000000000000001", "ab@0000000000000002", "ab-c", "abc"], seen);
        Assert.Equal(["ab", "ab-c", "abc"], (await Store.ListContainersAsync("acct", "", null, 10)).Containers.Select(c => c.Name));
        Assert.Empty((await Store.ListContainersIncludingDeletedAsync("acct", "ab!", null, 10)).Deleted);
    }

    [Fact]
    public async Task A_legal_hold_on_the_container_or_a_blob_refuses_hard_and_soft_delete()
    {
        await ContainerWithBlobAsync();
        await Store.UpdateContainerLegalHoldAsync("acct", "cont", _ => ["case1"]);

        Assert.True((await Store.GetContainerAsync("acct", "cont"))!.HasLegalHold);
        Assert.Equal(ErrorCode.ContainerImmutableDueToLegalHold, (await Assert.ThrowsAsync<StorageException>(() => Store.DeleteContainerAsync("acct", "cont"))).Code);
        Assert.Equal(ErrorCode.ContainerImmutableDueToLegalHold, (await Assert.ThrowsAsync<StorageException>(() => Store.SoftDeleteContainerAsync("acct", "cont", "1", T0, PurgeOn))).Code);

        await Store.UpdateContainerLegalHoldAsync("acct", "cont", _ => []);
        await Store.SetBlobLegalHoldAsync("acct", "cont", "b", null, legalHold: true);
        Assert.True((await Store.GetBlobAsync("acct", "cont", "b"))!.LegalHold);
        Assert.Equal(ErrorCode.ContainerImmutableDueToLegalHold, (await Assert.ThrowsAsync<StorageException>(() => Store.DeleteContainerAsync("acct", "cont"))).Code);

        await Store.SetBlobLegalHoldAsync("acct", "cont", "b", null, legalHold: false);
        await Store.DeleteContainerAsync("acct", "cont");
        Assert.Null(await Store.GetContainerAsync("acct", "cont"));
    }

    [Fact]
    public async Task Blob_legal_hold_needs_the_blob_or_version()
    {
        await CreateContainerAsync();

        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobLegalHoldAsync("acct", "cont", "none", null, true))).Code);
        Assert.Equal(ErrorCode.VersionNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobLegalHoldAsync("acct", "cont", "none", "2026-01-02T03:04:05.0000000Z", true))).Code);
        Assert.Equal(ErrorCode.ContainerNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobLegalHoldAsync("acct", "other", "b", null, true))).Code);
    }

    [Fact]
    public async Task Data_protection_updates_in_one_transaction_and_refuses_out_of_range_days()
    {
        await Store.CreateAccountAsync(Account("acct"));

        var settings = await Store.UpdateDataProtectionAsync("acct", current => current with { ContainerSoftDeleteDays = 7, Versioning = true });

        Assert.Equal(new DataProtectionSettings(Versioning: true, ContainerSoftDeleteDays: 7), settings);
        Assert.Equal(settings, (await Store.GetAccountAsync("acct"))!.DataProtection);
        Assert.Equal(ErrorCode.InvalidDataProtectionSetting, (await Assert.ThrowsAsync<StorageException>(() => Store.UpdateDataProtectionAsync("acct", current => current with { BlobSoftDeleteDays = 366 }))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.UpdateDataProtectionAsync("nobody", current => current))).Code);
        Assert.Equal(settings, (await Store.GetAccountAsync("acct"))!.DataProtection);
    }
}
