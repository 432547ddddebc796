using Strongroom.Core;
using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>Snapshots and blob index tags in the store (issue 8): tags follow the blob into its instances, change nothing else, and commit with their audit entry.</summary>
public sealed class TagStoreTests : StoreTestBase
{
    static readonly IReadOnlyList<KeyValuePair<string, string>> Gen1 = [new("gen", "1"), new("team", "a b")];

    async Task<StoredObject> PutAsync(string name, IReadOnlyList<KeyValuePair<string, string>>? tags = null, string? versionId = null, Func<BlobRecord, BlobArchive?>? archive = null, string container = "cont")
    {
        var stored = NewObject();
        await Store.CommitBlobAsync(Blob("acct", container, name) with { VersionId = versionId, Tags = tags ?? BlobTags.None }, [Part(0, stored)], [stored], null, archive);
        return stored;
    }

    [Fact]
    public async Task Tags_are_stored_with_the_blob_and_kept_by_the_versions_and_snapshots_it_becomes()
    {
        await CreateContainerAsync();
        await PutAsync("b", Gen1, "v1");
        Assert.Equal(Gen1, (await Store.GetBlobAsync("acct", "cont", "b"))!.Tags);

        var snapshot = await Store.CreateSnapshotAsync("acct", "cont", "b", "s1", metadata: [new("m", "snap")]);
        Assert.Equal(Gen1, snapshot.Tags);
        Assert.Equal("snap", Assert.Single(snapshot.Metadata).Value);
        Assert.Empty((await Store.GetBlobAsync("acct", "cont", "b"))!.Metadata);

        await PutAsync("b", null, "v2", _ => new BlobArchive(BlobInstanceKind.Version, "v1"));
        Assert.Empty((await Store.GetBlobAsync("acct", "cont", "b"))!.Tags);
        Assert.Equal(Gen1, (await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v1"))!.Value.Instance.Blob.Tags);
        var kept = await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "s1");
        Assert.Equal(BlobInstanceKind.Snapshot, kept!.Value.Instance.Kind);
        Assert.Equal(Gen1, kept.Value.Instance.Blob.Tags);
        Assert.Single(kept.Value.Parts);
    }

    [Fact]
    public async Task Setting_tags_changes_only_the_tags_of_the_blob_or_version_named()
    {
        await CreateContainerAsync();
        await PutAsync("b", Gen1, "v1");
        await PutAsync("b", null, "v2", _ => new BlobArchive(BlobInstanceKind.Version, "v1"));
        var before = (await Store.GetBlobAsync("acct", "cont", "b"))!;

        IReadOnlyList<KeyValuePair<string, string>> next = [new("gen", "2")];
        await Store.SetBlobTagsAsync("acct", "cont", "b", versionId: null, next);
        var after = (await Store.GetBlobAsync("acct", "cont", "b"))!;
        Assert.Equal(next, after.Tags);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(before.LastModified, after.LastModified);
        Assert.Equal(before.VersionId, after.VersionId);

        await Store.SetBlobTagsAsync("acct", "cont", "b", "v1", []);
        Assert.Empty((await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "v1"))!.Value.Instance.Blob.Tags);
        Assert.Equal(next, (await Store.GetBlobAsync("acct", "cont", "b"))!.Tags);

        await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobTagsAsync("acct", "cont", "b", "no-such-version", next));
        var missing = await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobTagsAsync("acct", "cont", "absent", null, next));
        Assert.Equal(ErrorCode.BlobNotFound, missing.Code);
        var failed = await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobTagsAsync("acct", "cont", "b", null, [], _ => throw new StorageException(ErrorCode.ConditionNotMet)));
        Assert.Equal(ErrorCode.ConditionNotMet, failed.Code);
        Assert.Equal(next, (await Store.GetBlobAsync("acct", "cont", "b"))!.Tags);
    }

    [Fact]
    public async Task A_snapshot_or_tag_change_commits_with_its_audit_entry_and_a_failed_precondition_leaves_neither()
    {
        await CreateContainerAsync();
        await PutAsync("b", Gen1);
        var size = (await Store.GetAuditTreeHeadAsync("acct")).Size;
        await Store.CreateSnapshotAsync("acct", "cont", "b", "s1", null, audit: new AuditAppend("acct", T0, [1, 2, 3]));
        await Store.SetBlobTagsAsync("acct", "cont", "b", null, [], audit: new AuditAppend("acct", T0, [4, 5, 6]));
        Assert.Equal(size + 2, (await Store.GetAuditTreeHeadAsync("acct")).Size);

        await Assert.ThrowsAsync<StorageException>(() => Store.CreateSnapshotAsync("acct", "cont", "b", "s2", null, _ => throw new StorageException(ErrorCode.ConditionNotMet), new AuditAppend("acct", T0, [7])));
        Assert.Null(await Store.GetBlobInstanceWithPartsAsync("acct", "cont", "b", "s2"));
        Assert.Equal(size + 2, (await Store.GetAuditTreeHeadAsync("acct")).Size);
        var missing = await Assert.ThrowsAsync<StorageException>(() => Store.CreateSnapshotAsync("acct", "cont", "absent", "s3", null));
        Assert.Equal(ErrorCode.BlobNotFound, missing.Code);
    }

    [Fact]
    public async Task Tagged_blobs_are_listed_in_container_then_name_order_from_a_position_without_soft_deleted_containers()
    {
        await CreateContainerAsync("acct", "cont");
        await CreateContainerAsync("acct", "cont2");
        await PutAsync("b", Gen1);
        await PutAsync("a", Gen1);
        await PutAsync("untagged");
        await PutAsync("c", Gen1, container: "cont2");

        var all = await Store.ListTaggedBlobsAsync("acct", null, null, 10);
        Assert.Equal(["cont/a", "cont/b", "cont2/c"], all.Select(blob => $"{blob.Container}/{blob.Name}"));
        Assert.Equal(Gen1, all[0].Tags);
        var after = await Store.ListTaggedBlobsAsync("acct", null, ("cont", "a"), 1);
        Assert.Equal(["cont/b"], after.Select(blob => $"{blob.Container}/{blob.Name}"));
        var scoped = await Store.ListTaggedBlobsAsync("acct", "cont2", null, 10);
        Assert.Equal(["c"], scoped.Select(blob => blob.Name));

        await Store.SoftDeleteContainerAsync("acct", "cont2", "v1", T0, T0.AddDays(7));
        Assert.Equal(["a", "b"], (await Store.ListTaggedBlobsAsync("acct", null, null, 10)).Select(blob => blob.Name));
    }
}
