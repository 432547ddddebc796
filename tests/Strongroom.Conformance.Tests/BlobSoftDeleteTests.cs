using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Blob soft delete without versioning through the SDK (issue 7): deleted blobs, soft-deleted snapshots of overwrites, Undelete Blob, include=deleted, refusals.</summary>
public sealed class BlobSoftDeleteTests(DataProtectionFixture fixture) : IClassFixture<DataProtectionFixture>
{
    const string Account = DataProtectionFixture.SoftDeleted;

    async Task<BlobContainerClient> NewContainerAsync(string account = Account)
    {
        var container = fixture.ServiceFor(account).GetBlobContainerClient(TestNames.Container("softdelete"));
        await container.CreateAsync();
        return container;
    }

    static async Task<string> ReadAsync(BlobClient blob) => (await blob.DownloadContentAsync()).Value.Content.ToString();

    static async Task<List<BlobItem>> ListAsync(BlobContainerClient container, BlobStates states)
    {
        var items = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = states }))
        {
            items.Add(item);
        }

        return items;
    }

    [Fact]
    public async Task A_deleted_blob_is_gone_listed_as_deleted_and_undelete_brings_it_back()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("notes.txt");
        await blob.UploadAsync(BinaryData.FromString("keep me"));
        await blob.DeleteAsync();

        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.DownloadContentAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.GetPropertiesAsync());
        Assert.Empty(await ListAsync(container, BlobStates.None));
        var deleted = Assert.Single(await ListAsync(container, BlobStates.Deleted));
        Assert.True(deleted.Deleted);
        Assert.Equal("notes.txt", deleted.Name);
        Assert.Equal(7, deleted.Properties.RemainingRetentionDays);
        Assert.NotNull(deleted.Properties.DeletedOn);

        var undeleted = await blob.UndeleteAsync();
        Assert.Equal(200, undeleted.Status);
        Assert.Equal("keep me", await ReadAsync(blob));
        Assert.False(Assert.Single(await ListAsync(container, BlobStates.Deleted)).Deleted);
    }

    [Fact]
    public async Task An_overwrite_keeps_a_soft_deleted_snapshot_that_undelete_restores()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("data");
        await blob.UploadAsync(BinaryData.FromString("before"));
        await blob.UploadAsync(BinaryData.FromString("after"), overwrite: true);

        var snapshot = Assert.Single(await ListAsync(container, BlobStates.Deleted | BlobStates.Snapshots), item => item.Snapshot is not null);
        Assert.True(snapshot.Deleted);
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.WithSnapshot(snapshot.Snapshot).DownloadContentAsync());
        Assert.Empty(await ListAsync(container, BlobStates.Snapshots).ContinueWith(task => task.Result.Where(item => item.Snapshot is not null).ToList()));

        await blob.UndeleteAsync();
        Assert.Equal("before", await ReadAsync(blob.WithSnapshot(snapshot.Snapshot)));
        Assert.Equal("after", await ReadAsync(blob));

        // A live snapshot now: deleting the blob needs x-ms-delete-snapshots (Azure: 409 SnapshotsPresent).
        await AzureAssert.FailsAsync(409, "SnapshotsPresent", () => blob.DeleteAsync());
        await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots);
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.GetPropertiesAsync());
        await blob.UndeleteAsync();
        Assert.Equal("after", await ReadAsync(blob));
        Assert.Equal("before", await ReadAsync(blob.WithSnapshot(snapshot.Snapshot)));

        await blob.DeleteAsync(DeleteSnapshotsOption.OnlySnapshots);
        Assert.Equal("after", await ReadAsync(blob));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.WithSnapshot(snapshot.Snapshot).GetPropertiesAsync());
    }

    [Fact]
    public async Task Undelete_of_nothing_is_404_and_permanent_delete_is_refused_without_the_account_setting()
    {
        var container = await NewContainerAsync();
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("never").UndeleteAsync());

        var blob = container.GetBlobClient("p");
        await blob.UploadAsync(BinaryData.FromString("1"));
        await blob.UploadAsync(BinaryData.FromString("2"), overwrite: true);
        var snapshot = Assert.Single(await ListAsync(container, BlobStates.Deleted | BlobStates.Snapshots), item => item.Snapshot is not null);

        using var raw = new RawClient(fixture.Server);
        var signer = fixture.SignerFor(Account);
        var permanent = await raw.SendAsync(HttpMethod.Delete, Account, $"/{container.Name}/p?snapshot={Uri.EscapeDataString(snapshot.Snapshot)}&deletetype=permanent", signer);
        AzureAssert.Status(permanent, 409, "OperationNotAllowed");
        var withoutTarget = await raw.SendAsync(HttpMethod.Delete, Account, $"/{container.Name}/p?deletetype=permanent", signer);
        AzureAssert.Status(withoutTarget, 409, "OperationNotAllowed");
        var badType = await raw.SendAsync(HttpMethod.Delete, Account, $"/{container.Name}/p?deletetype=soon", signer);
        AzureAssert.Status(badType, 400, "InvalidQueryParameterValue");
        Assert.Equal("2", await ReadAsync(blob));
    }

    [Fact]
    public async Task A_container_legal_hold_refuses_delete_and_overwrite()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("held");
        await blob.UploadAsync(BinaryData.FromString("x"));
        await fixture.SetContainerLegalHoldAsync(Account, container.Name);

        await AzureAssert.FailsAsync(409, "BlobImmutableDueToLegalHold", () => blob.DeleteAsync());
        await AzureAssert.FailsAsync(409, "BlobImmutableDueToLegalHold", () => blob.UploadAsync(BinaryData.FromString("y"), overwrite: true));
        Assert.Equal("x", await ReadAsync(blob));

        // A new blob may still be written under the hold.
        await container.GetBlobClient("new").UploadAsync(BinaryData.FromString("z"));
    }
}
