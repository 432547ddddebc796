using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Set Blob Tier and the tier of writes (issue 8): labels, with Archive offline until moved back.</summary>
public sealed class AccessTierTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("tier"));
        await container.CreateAsync();
        return container;
    }

    [Fact]
    public async Task A_blob_is_inferred_Hot_until_a_tier_is_set_then_reports_it_with_its_change_time()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("b");
        await blob.UploadAsync(BinaryData.FromString("tiered"));
        var before = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(AccessTier.Hot, before.AccessTier);
        Assert.True(before.AccessTierInferred);

        var response = await blob.SetAccessTierAsync(AccessTier.Cool);
        Assert.Equal(200, response.Status);
        var after = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(AccessTier.Cool, after.AccessTier);
        Assert.False(after.AccessTierInferred);
        Assert.NotEqual(default, after.AccessTierChangedOn);
        Assert.Equal(before.ETag, after.ETag);

        await blob.SetAccessTierAsync(AccessTier.Cold);
        var listed = await container.GetBlobsAsync().ToListAsync();
        var item = Assert.Single(listed);
        Assert.Equal(AccessTier.Cold, item.Properties.AccessTier);
        Assert.False(item.Properties.AccessTierInferred);
        Assert.NotNull(item.Properties.AccessTierChangedOn);

        var other = container.GetBlobClient("inferred");
        await other.UploadAsync(BinaryData.FromString("x"));
        var inferred = (await container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "inferred", default).ToListAsync()).Single();
        Assert.Equal(AccessTier.Hot, inferred.Properties.AccessTier);
        Assert.True(inferred.Properties.AccessTierInferred);
    }

    [Fact]
    public async Task Put_Blob_Put_Block_List_and_Copy_take_x_ms_access_tier()
    {
        var container = await NewContainerAsync();
        var put = container.GetBlobClient("put");
        await put.UploadAsync(BinaryData.FromString("p"), new BlobUploadOptions { AccessTier = AccessTier.Cool });
        Assert.Equal(AccessTier.Cool, (await put.GetPropertiesAsync()).Value.AccessTier);

        var blocks = container.GetBlockBlobClient("blocks");
        var blockId = Convert.ToBase64String("block-01"u8.ToArray());
        await blocks.StageBlockAsync(blockId, new MemoryStream("data"u8.ToArray()));
        await blocks.CommitBlockListAsync([blockId], new CommitBlockListOptions { AccessTier = AccessTier.Cold });
        Assert.Equal(AccessTier.Cold, (await blocks.GetPropertiesAsync()).Value.AccessTier);

        var copy = container.GetBlobClient("copy");
        await (await copy.StartCopyFromUriAsync(put.Uri, new BlobCopyFromUriOptions { AccessTier = AccessTier.Cold })).WaitForCompletionAsync();
        var copied = (await copy.GetPropertiesAsync()).Value;
        Assert.Equal(AccessTier.Cold, copied.AccessTier);
        Assert.False(copied.AccessTierInferred);
    }

    [Fact]
    public async Task An_archived_blob_is_BlobArchived_for_reads_and_copies_until_its_tier_moves_back_at_once()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("cold-storage");
        var payload = Payloads.For("archive", 70_000);
        await blob.UploadAsync(new BinaryData(payload));
        await blob.SetAccessTierAsync(AccessTier.Archive);

        Assert.Equal(AccessTier.Archive, (await blob.GetPropertiesAsync()).Value.AccessTier);
        await AzureAssert.FailsAsync(409, "BlobArchived", () => blob.DownloadContentAsync());
        await AzureAssert.FailsAsync(409, "BlobArchived", () => container.GetBlobClient("copy").SyncCopyFromUriAsync(blob.Uri));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("copy").GetPropertiesAsync());
        await AzureAssert.FailsAsync(409, "BlobArchived", () => blob.SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }));
        await AzureAssert.FailsAsync(409, "BlobArchived", () => blob.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "text/plain" }));
        Assert.Empty((await blob.GetPropertiesAsync()).Value.Metadata);

        var deleted = container.GetBlobClient("archived-then-deleted");
        await deleted.UploadAsync(BinaryData.FromString("gone"));
        await deleted.SetAccessTierAsync(AccessTier.Archive);
        await deleted.DeleteAsync();
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => deleted.GetPropertiesAsync());

        await blob.SetAccessTierAsync(AccessTier.Hot, rehydratePriority: RehydratePriority.High);
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(AccessTier.Hot, properties.AccessTier);
        Assert.Null(properties.ArchiveStatus);
        AzureAssert.BytesEqual(payload, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "rehydrated content");
    }

    [Fact]
    public async Task Bad_tier_names_missing_headers_and_missing_blobs_are_refused()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("b");
        await blob.UploadAsync(BinaryData.FromString("x"));
        await AzureAssert.FailsAsync(400, "InvalidHeaderValue", () => blob.SetAccessTierAsync(new AccessTier("Lukewarm")));
        await AzureAssert.FailsAsync(400, "InvalidHeaderValue", () => container.GetBlobClient("up").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { AccessTier = new AccessTier("Tepid") }));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("up").GetPropertiesAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("missing").SetAccessTierAsync(AccessTier.Cool));
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => Service.GetBlobContainerClient("no-such-container").GetBlobClient("b").SetAccessTierAsync(AccessTier.Cool));

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var missing = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/b?comp=tier", signer);
        AzureAssert.Status(missing, 400, "MissingRequiredHeader");
        var priority = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/b?comp=tier", signer, headers: new Dictionary<string, string> { ["x-ms-access-tier"] = "Cool", ["x-ms-rehydrate-priority"] = "Urgent" });
        AzureAssert.Status(priority, 400, "InvalidHeaderValue");
        Assert.Equal(AccessTier.Hot, (await blob.GetPropertiesAsync()).Value.AccessTier);
    }
}
