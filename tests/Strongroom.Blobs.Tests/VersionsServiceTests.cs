using Strongroom.Audit;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// The service's side of issue 7 on a fake clock: version ids, soft-delete retention fixed at
/// deletion, undelete, copies re-encrypted under the destination's binding, and every change in
/// the log in its own commit.
/// </summary>
public sealed class VersionsServiceTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private BlobServiceFixture fixture = null!;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Blobs.CreateContainerAsync(Account, "box", []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    private Task ProtectAsync(bool versioning = false, int? softDeleteDays = null, bool allowPermanentDelete = false) =>
        fixture.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(versioning, softDeleteDays, null, allowPermanentDelete));

    private static IDisposable Context() => OperationContext.Begin(new OperationContext(new Actor(ActorKind.SharedKey, "key1"), "request-1", null));

    [Fact]
    public async Task Writes_in_one_clock_tick_get_distinct_increasing_version_ids()
    {
        await ProtectAsync(versioning: true);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(10, i))).VersionId!);
        }

        Assert.Equal(3, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        for (var i = 0; i < 2; i++)
        {
            var reader = await fixture.Blobs.OpenBlobAsync(Account, "box", "b", AccessConditions.None, null, ReadLocation.Primary, new BlobSelector(ids[i]));
            Assert.False(reader.IsCurrentVersion);
            using var content = new MemoryStream();
            await reader.CopyRangeToAsync(0, reader.Blob.ContentLength, content);
            Assert.Equal(BlobServiceFixture.Pattern(10, i), content.ToArray());
        }
    }

    [Fact]
    public async Task Soft_delete_fixes_the_purge_time_at_deletion_and_a_later_setting_does_not_move_it()
    {
        await ProtectAsync(softDeleteDays: 3);
        await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(10, 1));
        var deletedAt = fixture.Time.GetUtcNow();
        await fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None);
        await ProtectAsync(softDeleteDays: 30);

        var entries = await fixture.Store.ListBlobEntriesAsync(new Storage.BlobEntryQuery(Account, "box", string.Empty, null, 10, false, false, Deleted: true));
        var deleted = Assert.Single(entries).Instance!;
        Assert.Equal(BlobInstanceKind.DeletedBlob, deleted.Kind);
        Assert.Equal(deletedAt, deleted.DeletedOn);
        Assert.Equal(deletedAt.AddDays(3), deleted.PurgeOn);

        fixture.Time.Advance(TimeSpan.FromDays(1));
        await fixture.Blobs.UndeleteBlobAsync(Account, "box", "b");
        Assert.Equal(BlobServiceFixture.Pattern(10, 1), await fixture.ReadAllAsync("box", "b"));
    }

    [Fact]
    public async Task Without_any_setting_a_delete_shreds_and_undelete_finds_nothing()
    {
        await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(10, 1));
        var before = Directory.GetFiles(fixture.SiteDirectory, "*", SearchOption.AllDirectories).Length;
        await fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None);
        Assert.Equal(before - 1, Directory.GetFiles(fixture.SiteDirectory, "*", SearchOption.AllDirectories).Length);
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.UndeleteBlobAsync(Account, "box", "b"));
        Assert.Equal(ErrorCode.BlobNotFound, error.Code);
    }

    [Fact]
    public async Task A_copy_is_a_new_object_under_a_new_data_key_bound_to_the_destination()
    {
        await fixture.PutAsync("box", "source", BlobServiceFixture.Pattern(200_000, 3));
        using (Context())
        {
            await fixture.Blobs.CopyBlobAsync(new CopyBlobRequest(Account, "box", "copy", "http://host/tenanta/box/source", "box", "source", BlobSelector.Current, null, AccessConditions.None));
        }

        var source = (await fixture.Store.GetBlobWithPartsAsync(Account, "box", "source"))!.Value;
        var copy = (await fixture.Store.GetBlobWithPartsAsync(Account, "box", "copy"))!.Value;
        Assert.NotEqual(source.Parts[0].Object.ObjectId, copy.Parts[0].Object.ObjectId);
        Assert.NotEqual(source.Parts[0].Object.WrappedDataKey, copy.Parts[0].Object.WrappedDataKey);
        Assert.Equal(BlobServiceFixture.Pattern(200_000, 3), await fixture.ReadAllAsync("box", "copy"));
        Assert.Equal("http://host/tenanta/box/source", copy.Blob.Copy!.Source);

        var entries = await fixture.Audit.EntriesAsync(Account);
        var copied = Assert.Single(entries, entry => entry.Action == nameof(BlobOperation.CopyBlob));
        Assert.Equal(BlobService.Resource(Account, "box", "copy"), copied.Resource);
        Assert.Equal(BlobService.Resource(Account, "box", "source"), copied.Detail("source"));
    }

    [Fact]
    public async Task A_hierarchical_listing_with_versions_collapses_prefixes_and_resumes_page_by_page()
    {
        await ProtectAsync(versioning: true);
        foreach (var name in new[] { "a", "a", "dir/x", "dir/y", "z", "z" })
        {
            await fixture.PutAsync("box", name, BlobServiceFixture.Pattern(5, 1));
        }

        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await fixture.Blobs.ListBlobsAsync(Account, "box", null, "/", marker, 1, new BlobListIncludes(Versions: true));
            Assert.True(page.Items.Count <= 1);
            seen.AddRange(page.Items.Select(item => item.Prefix ?? item.Blob!.Name + (item.Instance is null ? "*" : string.Empty)));
            marker = page.NextMarker;
        }
        while (marker is not null);

        Assert.Equal(["a", "a*", "dir/", "z", "z*"], seen);
    }

    [Fact]
    public async Task Deletes_of_versions_and_undeletes_are_recorded_with_what_they_named()
    {
        await ProtectAsync(versioning: true, softDeleteDays: 7);
        var first = (await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(10, 1))).VersionId!;
        await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(10, 2));
        var before = await fixture.Audit.SizeAsync(Account);
        using (Context())
        {
            await fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None, new DeleteBlobOptions(new BlobSelector(first)));
            await fixture.Blobs.UndeleteBlobAsync(Account, "box", "b");
        }

        var entries = await fixture.Audit.EntriesAsync(Account, before);
        Assert.Equal([nameof(BlobOperation.DeleteBlob), nameof(BlobOperation.UndeleteBlob)], entries.Select(entry => entry.Action));
        Assert.Equal(first, entries[0].Detail("versionId"));
        Assert.Equal("soft", entries[0].Detail("deleteType"));

        // A refused permanent delete changes nothing and commits no entry.
        var refused = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None, new DeleteBlobOptions(new BlobSelector(first), Permanent: true)));
        Assert.Equal(ErrorCode.PermanentDeleteNotAllowed, refused.Code);
        Assert.Equal(before + 2, await fixture.Audit.SizeAsync(Account));
    }
}
