using Strongroom.Core;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>Set Blob Tier in the store (issue 8): the current blob or an instance, in one transaction, ETag untouched.</summary>
public sealed class TierStoreTests : StoreTestBase
{
    static readonly DateTimeOffset Changed = T0.AddHours(2);

    async Task PutAsync(string name, string? versionId = null, string? keepAsVersion = null)
    {
        var stored = NewObject();
        Func<BlobRecord, BlobArchive?>? archive = keepAsVersion is null ? null : _ => new BlobArchive(BlobInstanceKind.Version, keepAsVersion);
        await Store.CommitBlobAsync(Blob("acct", "cont", name) with { VersionId = versionId }, [Part(0, stored)], [stored], null, archive);
    }

    [Fact]
    public async Task Sets_the_current_blobs_tier_and_change_time_only_when_the_tier_changes()
    {
        await CreateContainerAsync();
        await PutAsync("b");
        var before = (await Store.GetBlobAsync("acct", "cont", "b"))!;

        Assert.Null(await Store.SetBlobAccessTierAsync("acct", "cont", "b", null, null, AccessTier.Cool, Changed));
        var after = (await Store.GetBlobAsync("acct", "cont", "b"))!;
        Assert.Equal((AccessTier?)AccessTier.Cool, after.AccessTier);
        Assert.Equal(Changed, after.AccessTierChangedOn);
        Assert.Equal((before.ETag, before.LastModified), (after.ETag, after.LastModified));

        Assert.Equal(AccessTier.Cool, await Store.SetBlobAccessTierAsync("acct", "cont", "b", null, null, AccessTier.Cool, Changed.AddHours(1)));
        Assert.Equal(Changed, (await Store.GetBlobAsync("acct", "cont", "b"))!.AccessTierChangedOn);
    }

    [Fact]
    public async Task A_failed_precondition_changes_nothing_and_appends_no_entry()
    {
        await CreateContainerAsync();
        await PutAsync("b");
        var error = await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobAccessTierAsync("acct", "cont", "b", null, null, AccessTier.Archive, Changed, _ => throw new StorageException(ErrorCode.InvalidBlobTier)));
        Assert.Equal(ErrorCode.InvalidBlobTier, error.Code);
        Assert.Null((await Store.GetBlobAsync("acct", "cont", "b"))!.AccessTier);
    }

    [Fact]
    public async Task Sets_a_versions_tier_and_refuses_what_does_not_exist()
    {
        await CreateContainerAsync();
        await PutAsync("b", "v1");
        await PutAsync("b", "v2", keepAsVersion: "v1");

        Assert.Null(await Store.SetBlobAccessTierAsync("acct", "cont", "b", BlobInstanceKind.Version, "v1", AccessTier.Cold, Changed));
        var kept = await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v1");
        Assert.Equal((AccessTier?)AccessTier.Cold, kept!.Value.Instance.Blob.AccessTier);
        Assert.Null((await Store.GetBlobAsync("acct", "cont", "b"))!.AccessTier);

        // The current version named by its id is the current blob.
        await Store.SetBlobAccessTierAsync("acct", "cont", "b", BlobInstanceKind.Version, "v2", AccessTier.Hot, Changed);
        Assert.Equal((AccessTier?)AccessTier.Hot, (await Store.GetBlobAsync("acct", "cont", "b"))!.AccessTier);

        Assert.Equal(ErrorCode.VersionNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobAccessTierAsync("acct", "cont", "b", BlobInstanceKind.Version, "v9", AccessTier.Cool, Changed))).Code);
        Assert.Equal(ErrorCode.VersionNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobAccessTierAsync("acct", "cont", "b", BlobInstanceKind.Snapshot, "v1", AccessTier.Cool, Changed))).Code);
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobAccessTierAsync("acct", "cont", "none", null, null, AccessTier.Cool, Changed))).Code);
        Assert.Equal(ErrorCode.ContainerNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobAccessTierAsync("acct", "other", "b", null, null, AccessTier.Cool, Changed))).Code);
    }
}
