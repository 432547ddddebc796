using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// x-ms-lease-id and x-ms-if-tags on the writes added by the append, page, copy and tags lanes
/// (issue 8, leases follow-up): a leased blob refuses each write without the lease (412
/// LeaseIdMissing) or with another id (412 LeaseIdMismatchWithBlobOperation) and takes it with the
/// lease's id; operations that take the id optionally refuse only a wrong one; a failing tag
/// condition is 412 ConditionNotMet; nothing is written by a refused request.
/// </summary>
public sealed class LeaseCoverageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string LeaseA = "44444444-4444-4444-4444-444444444444";
    private const string LeaseB = "55555555-5555-5555-5555-555555555555";
    private const string FailingTags = "\"owner\" = 'nobody'";
    private const string HoldingTags = "\"owner\" = 'ops'";
    private static readonly Dictionary<string, string> Tags = new() { ["owner"] = "ops" };

    private async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    /// <summary>A write that requires the lease: without it and with another id refused, <paramref name="unchanged"/> checked, then done with it.</summary>
    private static async Task RequiresLeaseAsync(string what, Func<string?, Task> write, Func<Task> unchanged)
    {
        await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => write(null), what + " without the lease id");
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => write(LeaseB), what + " with another lease id");
        await unchanged();
        await write(LeaseA);
    }

    /// <summary>An operation that takes the lease id optionally: another id is refused, none is fine.</summary>
    private static async Task TakesLeaseOptionallyAsync(string what, Func<string?, Task> operation)
    {
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => operation(LeaseB), what + " with another lease id");
        await operation(null);
        await operation(LeaseA);
    }

    private static MemoryStream Bytes(int length, byte value = 7) => new(Enumerable.Repeat(value, length).ToArray());

    [Fact]
    public async Task Append_blob_writes_require_the_lease_and_honour_tag_conditions()
    {
        var container = await NewContainerAsync("leaseappend");
        var source = container.GetBlobClient("source.bin");
        await source.UploadAsync(BinaryData.FromBytes(new byte[1000]));
        var blob = container.GetAppendBlobClient("log");
        await blob.CreateAsync(new AppendBlobCreateOptions { Tags = Tags });
        await blob.AppendBlockAsync(Bytes(10));
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        long length = 10;
        async Task Unchanged() => Assert.Equal(length, (await blob.GetPropertiesAsync()).Value.ContentLength);

        await RequiresLeaseAsync("Append Block", lease => blob.AppendBlockAsync(Bytes(10), new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { LeaseId = lease } }), Unchanged);
        length += 10;
        await RequiresLeaseAsync("Append Block From URL", lease => blob.AppendBlockFromUriAsync(source.Uri, new AppendBlobAppendBlockFromUriOptions { SourceRange = new HttpRange(0, 100), DestinationConditions = new AppendBlobRequestConditions { LeaseId = lease } }), Unchanged);
        length += 100;
        await Unchanged();

        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.AppendBlockAsync(Bytes(10), new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { LeaseId = LeaseA, TagConditions = FailingTags } }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.AppendBlockFromUriAsync(source.Uri, new AppendBlobAppendBlockFromUriOptions { DestinationConditions = new AppendBlobRequestConditions { LeaseId = LeaseA, TagConditions = FailingTags } }));
        await Unchanged();
        await blob.AppendBlockAsync(Bytes(10), new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { LeaseId = LeaseA, TagConditions = HoldingTags } });
        length += 10;

        await RequiresLeaseAsync("Seal", lease => blob.SealAsync(new AppendBlobRequestConditions { LeaseId = lease }), async () => Assert.False((await blob.GetPropertiesAsync()).Value.IsSealed));
        Assert.True((await blob.GetPropertiesAsync()).Value.IsSealed);

        // Put Blob of an append blob over the leased blob: it replaces the blob, so it needs the lease.
        var replaced = container.GetAppendBlobClient("replaced");
        await replaced.CreateAsync();
        await replaced.AppendBlockAsync(Bytes(5));
        await replaced.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        await RequiresLeaseAsync(
            "Put Blob (AppendBlob)",
            lease => replaced.CreateAsync(new AppendBlobCreateOptions { Conditions = new AppendBlobRequestConditions { LeaseId = lease } }),
            async () => Assert.Equal(5, (await replaced.GetPropertiesAsync()).Value.ContentLength));
        Assert.Equal(0, (await replaced.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task Page_blob_writes_require_the_lease_and_honour_tag_conditions()
    {
        const int Page = 512;
        var container = await NewContainerAsync("leasepage");
        var source = container.GetBlobClient("source.bin");
        await source.UploadAsync(BinaryData.FromBytes(Enumerable.Repeat((byte)9, 4 * Page).ToArray()));
        var blob = container.GetPageBlobClient("disk");
        await blob.CreateAsync(8 * Page, new PageBlobCreateOptions { Tags = Tags });
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        async Task NoPages() => Assert.Empty((await blob.GetPageRangesAsync()).Value.PageRanges);

        await RequiresLeaseAsync("Put Page", lease => blob.UploadPagesAsync(Bytes(Page), 0, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { LeaseId = lease } }), NoPages);
        await blob.ClearPagesAsync(new HttpRange(0, Page), new PageBlobRequestConditions { LeaseId = LeaseA });
        await RequiresLeaseAsync("Put Page (clear)", lease => blob.ClearPagesAsync(new HttpRange(0, Page), new PageBlobRequestConditions { LeaseId = lease }), NoPages);
        await RequiresLeaseAsync("Put Page From URL", lease => blob.UploadPagesFromUriAsync(source.Uri, new HttpRange(0, Page), new HttpRange(Page, Page), new PageBlobUploadPagesFromUriOptions { DestinationConditions = new PageBlobRequestConditions { LeaseId = lease } }), NoPages);
        Assert.Single((await blob.GetPageRangesAsync()).Value.PageRanges);

        await RequiresLeaseAsync("Resize", lease => blob.ResizeAsync(16 * Page, new PageBlobRequestConditions { LeaseId = lease }), async () => Assert.Equal(8 * Page, (await blob.GetPropertiesAsync()).Value.ContentLength));
        Assert.Equal(16 * Page, (await blob.GetPropertiesAsync()).Value.ContentLength);
        await RequiresLeaseAsync("Update sequence number", lease => blob.UpdateSequenceNumberAsync(SequenceNumberAction.Update, 7, new PageBlobRequestConditions { LeaseId = lease }), async () => Assert.Equal(0, (await blob.GetPropertiesAsync()).Value.BlobSequenceNumber));
        Assert.Equal(7, (await blob.GetPropertiesAsync()).Value.BlobSequenceNumber);

        var failing = new PageBlobRequestConditions { LeaseId = LeaseA, TagConditions = FailingTags };
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.UploadPagesAsync(Bytes(Page), 2 * Page, new PageBlobUploadPagesOptions { Conditions = failing }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.UploadPagesFromUriAsync(source.Uri, new HttpRange(0, Page), new HttpRange(2 * Page, Page), new PageBlobUploadPagesFromUriOptions { DestinationConditions = failing }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.ResizeAsync(Page, failing));
        Assert.Single((await blob.GetPageRangesAsync()).Value.PageRanges);
        Assert.Equal(16 * Page, (await blob.GetPropertiesAsync()).Value.ContentLength);
        await blob.UploadPagesAsync(Bytes(Page), 2 * Page, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { LeaseId = LeaseA, TagConditions = HoldingTags } });

        // Put Blob of a page blob over the leased blob.
        await RequiresLeaseAsync("Put Blob (PageBlob)", lease => blob.CreateAsync(4 * Page, new PageBlobCreateOptions { Conditions = new PageBlobRequestConditions { LeaseId = lease } }), async () => Assert.Equal(16 * Page, (await blob.GetPropertiesAsync()).Value.ContentLength));
        Assert.Equal(4 * Page, (await blob.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task From_URL_writes_require_the_destination_lease_and_check_the_source_lease_and_tags()
    {
        var container = await NewContainerAsync("leasefromurl");
        var source = container.GetBlobClient("source.bin");
        await source.UploadAsync(BinaryData.FromBytes(new byte[3000]), new BlobUploadOptions { Tags = Tags });
        var target = container.GetBlockBlobClient("target");
        await target.UploadAsync(BinaryData.FromString("original").ToStream());
        await target.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        async Task Original() => Assert.Equal("original", (await target.DownloadContentAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { LeaseId = LeaseA } })).Value.Content.ToString());

        await RequiresLeaseAsync("Put Blob From URL", lease => target.SyncUploadFromUriAsync(source.Uri, new BlobSyncUploadFromUriOptions { DestinationConditions = new BlobRequestConditions { LeaseId = lease } }), Original);
        Assert.Equal(3000, (await target.GetPropertiesAsync()).Value.ContentLength);

        var blockId = Convert.ToBase64String("lease-01"u8.ToArray());
        await RequiresLeaseAsync(
            "Put Block From URL",
            lease => target.StageBlockFromUriAsync(source.Uri, blockId, new StageBlockFromUriOptions { SourceRange = new HttpRange(0, 100), DestinationConditions = new BlobRequestConditions { LeaseId = lease } }),
            async () => Assert.Empty((await target.GetBlockListAsync(BlockListTypes.Uncommitted, conditions: new BlobRequestConditions { LeaseId = LeaseA })).Value.UncommittedBlocks));
        await TakesLeaseOptionallyAsync("Get Block List", lease => target.GetBlockListAsync(BlockListTypes.All, conditions: new BlobRequestConditions { LeaseId = lease }));

        // x-ms-source-lease-id (Copy Blob) and x-ms-source-if-tags, on a leased source.
        await source.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        Task<RawResponse> Copy(string name, string header, string value) =>
            raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/{name}", signer, headers: new Dictionary<string, string> { ["x-ms-copy-source"] = source.Uri.ToString(), [header] = value });
        AzureAssert.Status(await Copy("copy1", "x-ms-source-lease-id", LeaseB), 412, "LeaseIdMismatchWithBlobOperation");
        AzureAssert.Status(await Copy("copy1", "x-ms-source-if-tags", FailingTags), 412, "SourceConditionNotMet");
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("copy1").GetPropertiesAsync());
        AzureAssert.Status(await Copy("copy1", "x-ms-source-lease-id", LeaseA), 202);
        AzureAssert.Status(await Copy("copy2", "x-ms-source-if-tags", HoldingTags), 202);
        await AzureAssert.FailsAsync(412, "SourceConditionNotMet", () => container.GetBlockBlobClient("put2").SyncUploadFromUriAsync(source.Uri, new BlobSyncUploadFromUriOptions { SourceConditions = new BlobRequestConditions { TagConditions = FailingTags } }));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("put2").GetPropertiesAsync());
    }

    [Fact]
    public async Task Tier_tags_and_snapshot_take_the_lease_id_optionally_and_honour_tag_conditions()
    {
        var container = await NewContainerAsync("leaseopt");
        var blob = container.GetBlobClient("leased.txt");
        await blob.UploadAsync(BinaryData.FromString("content"), new BlobUploadOptions { Tags = Tags });
        var unleased = container.GetBlobClient("free.txt");
        await unleased.UploadAsync(BinaryData.FromString("content"));
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);

        await TakesLeaseOptionallyAsync("Set Blob Tier", lease => blob.SetAccessTierAsync(AccessTier.Cool, conditions: new BlobRequestConditions { LeaseId = lease }));
        await TakesLeaseOptionallyAsync("Get Blob Tags", lease => blob.GetTagsAsync(new BlobRequestConditions { LeaseId = lease }));
        await TakesLeaseOptionallyAsync("Set Blob Tags", lease => blob.SetTagsAsync(Tags, new BlobRequestConditions { LeaseId = lease }));
        await TakesLeaseOptionallyAsync("Snapshot Blob", lease => blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { LeaseId = lease }));
        await AzureAssert.FailsAsync(412, "LeaseNotPresentWithBlobOperation", () => unleased.SetAccessTierAsync(AccessTier.Cool, conditions: new BlobRequestConditions { LeaseId = LeaseA }));
        await AzureAssert.FailsAsync(412, "LeaseNotPresentWithBlobOperation", () => unleased.CreateSnapshotAsync(conditions: new BlobRequestConditions { LeaseId = LeaseA }));

        var snapshots = 2;
        async Task SnapshotCount() => Assert.Equal(snapshots, await container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Snapshots }).CountAsync(item => item.Snapshot is not null));
        await SnapshotCount();
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.SetAccessTierAsync(AccessTier.Cold, conditions: new BlobRequestConditions { TagConditions = FailingTags }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { TagConditions = FailingTags }));
        await SnapshotCount();
        Assert.Equal(AccessTier.Cool, (await blob.GetPropertiesAsync()).Value.AccessTier);
        await blob.SetAccessTierAsync(AccessTier.Cold, conditions: new BlobRequestConditions { LeaseId = LeaseA, TagConditions = HoldingTags });
        Assert.Equal(AccessTier.Cold, (await blob.GetPropertiesAsync()).Value.AccessTier);
    }

}

/// <summary>Append Block From URL and Put Page From URL from another account of this server (issue 8): only with a SAS in the source URL that grants reading it, as Put Block From URL.</summary>
public sealed class CrossAccountAppendAndPageTests(SecondAccountFixture fixture) : IClassFixture<SecondAccountFixture>
{
    [Fact]
    public async Task Append_and_page_from_URL_take_a_source_in_another_account_with_a_read_SAS()
    {
        const int Page = 512;
        var sourceContainer = fixture.SecondService.GetBlobContainerClient(TestNames.Container("xapsource"));
        await sourceContainer.CreateAsync();
        var source = sourceContainer.GetBlobClient("source.bin");
        var payload = Payloads.For("cross-account-append-page", 4 * Page);
        await source.UploadAsync(new BinaryData(payload));
        var credential = new Azure.Storage.StorageSharedKeyCredential(SecondAccountFixture.SecondAccountName, fixture.SecondKey1);
        Uri WithSas(Azure.Storage.Sas.BlobSasPermissions permissions) =>
            new BlobUriBuilder(source.Uri) { Sas = new Azure.Storage.Sas.BlobSasBuilder(permissions, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = sourceContainer.Name, BlobName = source.Name }.ToSasQueryParameters(credential) }.ToUri();
        var read = WithSas(Azure.Storage.Sas.BlobSasPermissions.Read);
        var writeOnly = WithSas(Azure.Storage.Sas.BlobSasPermissions.Write);

        var target = fixture.Service.GetBlobContainerClient(TestNames.Container("xaptarget"));
        await target.CreateAsync();
        var log = target.GetAppendBlobClient("log");
        await log.CreateAsync();
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => log.AppendBlockFromUriAsync(source.Uri));
        await AzureAssert.FailsAsync(403, "CannotVerifyCopySource", () => log.AppendBlockFromUriAsync(writeOnly));
        Assert.Equal(0, (await log.GetPropertiesAsync()).Value.ContentLength);
        await log.AppendBlockFromUriAsync(read, new AppendBlobAppendBlockFromUriOptions { SourceRange = new HttpRange(Page, 1000) });
        AzureAssert.BytesEqual(payload.AsMemory(Page, 1000), (await log.DownloadContentAsync()).Value.Content.ToMemory(), "Append Block From URL across accounts");

        var disk = target.GetPageBlobClient("disk");
        await disk.CreateAsync(4 * Page);
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => disk.UploadPagesFromUriAsync(source.Uri, new HttpRange(0, Page), new HttpRange(0, Page)));
        await AzureAssert.FailsAsync(403, "CannotVerifyCopySource", () => disk.UploadPagesFromUriAsync(writeOnly, new HttpRange(0, Page), new HttpRange(0, Page)));
        Assert.Empty((await disk.GetPageRangesAsync()).Value.PageRanges);
        await disk.UploadPagesFromUriAsync(read, new HttpRange(2 * Page, 2 * Page), new HttpRange(0, 2 * Page));
        var content = (await disk.DownloadContentAsync()).Value.Content.ToMemory();
        AzureAssert.BytesEqual(payload.AsMemory(2 * Page, 2 * Page), content[..(2 * Page)], "Put Page From URL across accounts");
    }
}
