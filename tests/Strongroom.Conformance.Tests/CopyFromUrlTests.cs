using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Copy reporting, Abort Copy Blob, x-ms-source-if-*, Put Blob From URL and Put Block From URL
/// (issue 8) with the SDK, failure paths included.
/// </summary>
public sealed class CopyFromUrlTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("fromurl"));
        await container.CreateAsync();
        return container;
    }

    async Task<(BlobClient Source, byte[] Payload)> NewSourceAsync(BlobContainerClient container, int length = 200_000)
    {
        var source = container.GetBlobClient(TestNames.Blob("source"));
        var payload = Payloads.For(source.Name, length);
        await source.UploadAsync(new BinaryData(payload), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-source", ContentLanguage = "en" },
            Metadata = new Dictionary<string, string> { ["origin"] = "source" },
        });
        return (source, payload);
    }

    [Fact]
    public async Task A_started_copy_reports_success_with_its_id_progress_source_and_completion_time()
    {
        var container = await NewContainerAsync();
        var (source, payload) = await NewSourceAsync(container);
        var target = container.GetBlobClient("target");
        var operation = await target.StartCopyFromUriAsync(source.Uri);
        await operation.WaitForCompletionAsync();
        Assert.True(operation.HasCompleted);

        var properties = (await target.GetPropertiesAsync()).Value;
        Assert.Equal(CopyStatus.Success, properties.CopyStatus);
        Assert.Equal(operation.Id, properties.CopyId);
        Assert.Equal($"{payload.Length}/{payload.Length}", properties.CopyProgress);
        Assert.Equal(source.Uri, properties.CopySource);
        Assert.NotEqual(default, properties.CopyCompletedOn);

        var listed = await container.GetBlobsAsync(BlobTraits.CopyStatus, BlobStates.None, "target", default).ToListAsync();
        var item = Assert.Single(listed).Properties;
        Assert.Equal(CopyStatus.Success, item.CopyStatus);
        Assert.Equal(operation.Id, item.CopyId);
        Assert.Equal(source.Uri, item.CopySource);
        Assert.Equal($"{payload.Length}/{payload.Length}", item.CopyProgress);
        Assert.NotNull(item.CopyCompletedOn);
        Assert.Null((await container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "target", default).ToListAsync()).Single().Properties.CopyId);

        var sync = await container.GetBlobClient("sync").SyncCopyFromUriAsync(source.Uri);
        Assert.Equal(CopyStatus.Success, sync.Value.CopyStatus);
        Assert.False(string.IsNullOrEmpty(sync.Value.CopyId));
    }

    [Fact]
    public async Task Abort_copy_finds_nothing_pending_and_names_a_wrong_copy_id()
    {
        var container = await NewContainerAsync();
        var (source, _) = await NewSourceAsync(container, 1000);
        var target = container.GetBlobClient("target");
        var operation = await target.StartCopyFromUriAsync(source.Uri);

        await AzureAssert.FailsAsync(409, "NoPendingCopyOperation", () => target.AbortCopyFromUriAsync(operation.Id));
        await AzureAssert.FailsAsync(409, "CopyIdMismatch", () => target.AbortCopyFromUriAsync(Guid.NewGuid().ToString()));
        await AzureAssert.FailsAsync(409, "NoPendingCopyOperation", () => source.AbortCopyFromUriAsync(Guid.NewGuid().ToString()));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("missing").AbortCopyFromUriAsync(operation.Id));

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var noAction = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/target?comp=copy&copyid={operation.Id}", signer);
        AzureAssert.Status(noAction, 400, "MissingRequiredHeader");
        var noId = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/target?comp=copy", signer, headers: new Dictionary<string, string> { ["x-ms-copy-action"] = "abort" });
        AzureAssert.Status(noId, 400, "MissingRequiredQueryParameter");
        Assert.Equal(CopyStatus.Success, (await target.GetPropertiesAsync()).Value.CopyStatus);
    }

    [Fact]
    public async Task Source_conditions_that_fail_are_SourceConditionNotMet_and_write_nothing()
    {
        var container = await NewContainerAsync();
        var (source, payload) = await NewSourceAsync(container, 5000);
        var sourceETag = (await source.GetPropertiesAsync()).Value.ETag;
        var target = container.GetBlobClient("target");
        var future = DateTimeOffset.UtcNow.AddDays(1);

        await AzureAssert.FailsAsync(412, "SourceConditionNotMet", () => target.StartCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = new ETag("\"0x8D0000000000000\"") } }));
        await AzureAssert.FailsAsync(412, "SourceConditionNotMet", () => target.StartCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfNoneMatch = sourceETag } }));
        await AzureAssert.FailsAsync(412, "SourceConditionNotMet", () => target.SyncCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfModifiedSince = future } }));
        await AzureAssert.FailsAsync(412, "SourceConditionNotMet", () => container.GetBlockBlobClient("target").SyncUploadFromUriAsync(source.Uri, new BlobSyncUploadFromUriOptions { SourceConditions = new BlobRequestConditions { IfUnmodifiedSince = DateTimeOffset.UtcNow.AddDays(-1) } }));
        await AzureAssert.FailsAsync(412, "SourceConditionNotMet", () => container.GetBlockBlobClient("staged").StageBlockFromUriAsync(source.Uri, Convert.ToBase64String("b1"u8.ToArray()), new StageBlockFromUriOptions { SourceConditions = new RequestConditions { IfMatch = new ETag("\"0x8D0000000000001\"") } }));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetPropertiesAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlockBlobClient("staged").GetBlockListAsync());

        await (await target.StartCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions { SourceConditions = new BlobRequestConditions { IfMatch = sourceETag, IfUnmodifiedSince = future } })).WaitForCompletionAsync();
        AzureAssert.BytesEqual(payload, (await target.DownloadContentAsync()).Value.Content.ToMemory(), "copied under met source conditions");
    }

    [Fact]
    public async Task Put_Blob_From_URL_copies_content_and_properties_but_takes_only_the_requests_metadata()
    {
        var container = await NewContainerAsync();
        var (source, payload) = await NewSourceAsync(container);
        var target = container.GetBlockBlobClient("target");
        var result = await target.SyncUploadFromUriAsync(source.Uri, new BlobSyncUploadFromUriOptions
        {
            Metadata = new Dictionary<string, string> { ["given"] = "yes" },
            AccessTier = AccessTier.Cool,
        });
        Assert.Equal(201, result.GetRawResponse().Status);
        Assert.Equal(MD5.HashData(payload), result.Value.ContentHash);

        var downloaded = (await target.DownloadContentAsync()).Value;
        AzureAssert.BytesEqual(payload, downloaded.Content.ToMemory(), "Put Blob From URL content");
        Assert.Equal("application/x-source", downloaded.Details.ContentType);
        Assert.Equal("en", downloaded.Details.ContentLanguage);
        Assert.Equal("yes", downloaded.Details.Metadata["given"]);
        Assert.False(downloaded.Details.Metadata.ContainsKey("origin"));
        var properties = (await target.GetPropertiesAsync()).Value;
        Assert.Equal(AccessTier.Cool, properties.AccessTier);
        Assert.Null(properties.CopyId);

        var own = container.GetBlockBlobClient("own-headers");
        await own.SyncUploadFromUriAsync(source.Uri, new BlobSyncUploadFromUriOptions
        {
            CopySourceBlobProperties = false,
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain" },
        });
        var ownProperties = (await own.GetPropertiesAsync()).Value;
        Assert.Equal("text/plain", ownProperties.ContentType);
        Assert.Null(ownProperties.ContentLanguage);
    }

    [Fact]
    public async Task Put_Blob_From_URL_failures_leave_nothing_behind()
    {
        var container = await NewContainerAsync();
        var (source, _) = await NewSourceAsync(container, 3000);
        var target = container.GetBlockBlobClient("target");

        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.SyncUploadFromUriAsync(container.GetBlobClient("missing").Uri));
        await AzureAssert.FailsAsync(400, "Md5Mismatch", () => target.SyncUploadFromUriAsync(source.Uri, new BlobSyncUploadFromUriOptions { ContentHash = new byte[16] }));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetPropertiesAsync());

        var existing = container.GetBlobClient("target");
        await existing.UploadAsync(BinaryData.FromString("exists"));
        await AzureAssert.FailsAsync(409, "BlobAlreadyExists", () => target.SyncUploadFromUriAsync(source.Uri, overwrite: false));
        Assert.Equal("exists", (await existing.DownloadContentAsync()).Value.Content.ToString());

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var withBody = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/body", signer, body: "data"u8.ToArray(), headers: new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["x-ms-copy-source"] = source.Uri.ToString() });
        AzureAssert.Status(withBody, 400, "InvalidHeaderValue");
        var badMd5 = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/body", signer, headers: new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["x-ms-copy-source"] = source.Uri.ToString(), ["x-ms-source-content-md5"] = "not-base64" });
        AzureAssert.Status(badMd5, 400, "InvalidMd5");
        var badDate = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/body", signer, headers: new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["x-ms-copy-source"] = source.Uri.ToString(), ["x-ms-source-if-modified-since"] = "yesterday" });
        AzureAssert.Status(badDate, 400, "InvalidHeaderValue");
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("body").GetPropertiesAsync());
    }

    [Fact]
    public async Task Put_Block_From_URL_stages_source_ranges_that_commit_into_a_blob()
    {
        var container = await NewContainerAsync();
        var (source, payload) = await NewSourceAsync(container, 300_000);
        var target = container.GetBlockBlobClient("assembled");
        var first = Convert.ToBase64String("block-1"u8.ToArray());
        var second = Convert.ToBase64String("block-2"u8.ToArray());
        var staged = await target.StageBlockFromUriAsync(source.Uri, first, new StageBlockFromUriOptions { SourceRange = new HttpRange(0, 100_000) });
        Assert.Equal(201, staged.GetRawResponse().Status);
        Assert.Equal(MD5.HashData(payload.AsSpan(0, 100_000)), staged.Value.ContentHash);
        await target.StageBlockFromUriAsync(source.Uri, second, new StageBlockFromUriOptions
        {
            SourceRange = new HttpRange(100_000),
            SourceContentHash = MD5.HashData(payload.AsSpan(100_000)),
        });

        var list = (await target.GetBlockListAsync(BlockListTypes.Uncommitted)).Value;
        Assert.Equal([100_000L, 200_000L], list.UncommittedBlocks.Select(block => block.SizeLong));
        await target.CommitBlockListAsync([first, second]);
        AzureAssert.BytesEqual(payload, (await target.DownloadContentAsync()).Value.Content.ToMemory(), "blocks staged from URL");

        var whole = container.GetBlockBlobClient("whole");
        var id = Convert.ToBase64String("whole-01"u8.ToArray());
        await whole.StageBlockFromUriAsync(source.Uri, id);
        await whole.CommitBlockListAsync([id]);
        AzureAssert.BytesEqual(payload, (await whole.DownloadContentAsync()).Value.Content.ToMemory(), "a whole source as one block");
    }

    [Fact]
    public async Task Put_Block_From_URL_failures_stage_nothing()
    {
        var container = await NewContainerAsync();
        var (source, _) = await NewSourceAsync(container, 10_000);
        var target = container.GetBlockBlobClient("target");
        var id = Convert.ToBase64String("block-1"u8.ToArray());

        await AzureAssert.FailsAsync(416, "InvalidRange", () => target.StageBlockFromUriAsync(source.Uri, id, new StageBlockFromUriOptions { SourceRange = new HttpRange(10_000, 10) }));
        await AzureAssert.FailsAsync(400, "Md5Mismatch", () => target.StageBlockFromUriAsync(source.Uri, id, new StageBlockFromUriOptions { SourceContentHash = new byte[16] }));
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.StageBlockFromUriAsync(container.GetBlobClient("missing").Uri, id));
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.StageBlockFromUriAsync(new Uri("https://elsewhere.example/devstoreaccount1/c/b"), id));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetBlockListAsync());

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var badRange = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/target?comp=block&blockid={Uri.EscapeDataString(id)}", signer, headers: new Dictionary<string, string> { ["x-ms-copy-source"] = source.Uri.ToString(), ["x-ms-source-range"] = "bytes=5-1x" });
        AzureAssert.Status(badRange, 400, "InvalidHeaderValue");
        var both = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/target?comp=block&blockid={Uri.EscapeDataString(id)}", signer, headers: new Dictionary<string, string> { ["x-ms-copy-source"] = source.Uri.ToString(), ["x-ms-source-content-md5"] = Convert.ToBase64String(new byte[16]), ["x-ms-source-content-crc64"] = Convert.ToBase64String(new byte[8]) });
        AzureAssert.Status(both, 400, "BothCrc64AndMd5HeaderPresent");
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetBlockListAsync());
    }
}

/// <summary>Copies from another account of this server (issue 8): only with a SAS in the source URL that grants reading it.</summary>
public sealed class CrossAccountCopyTests(SecondAccountFixture fixture) : IClassFixture<SecondAccountFixture>
{
    [Fact]
    public async Task A_source_in_another_account_copies_with_a_read_SAS_and_is_refused_without_one()
    {
        var sourceContainer = fixture.SecondService.GetBlobContainerClient(TestNames.Container("xsource"));
        await sourceContainer.CreateAsync();
        var source = sourceContainer.GetBlobClient("source.bin");
        var payload = Payloads.For("cross-account", 150_000);
        await source.UploadAsync(new BinaryData(payload));

        var credential = new Azure.Storage.StorageSharedKeyCredential(SecondAccountFixture.SecondAccountName, fixture.SecondKey1);
        var read = new Azure.Storage.Sas.BlobSasBuilder(Azure.Storage.Sas.BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = sourceContainer.Name, BlobName = source.Name };
        var withSas = new BlobUriBuilder(source.Uri) { Sas = read.ToSasQueryParameters(credential) }.ToUri();
        var writeOnly = new Azure.Storage.Sas.BlobSasBuilder(Azure.Storage.Sas.BlobSasPermissions.Write, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = sourceContainer.Name, BlobName = source.Name };
        var withWriteSas = new BlobUriBuilder(source.Uri) { Sas = writeOnly.ToSasQueryParameters(credential) }.ToUri();

        var target = fixture.Service.GetBlobContainerClient(TestNames.Container("xtarget"));
        await target.CreateAsync();
        var copied = target.GetBlobClient("started");
        await (await copied.StartCopyFromUriAsync(withSas)).WaitForCompletionAsync();
        AzureAssert.BytesEqual(payload, (await copied.DownloadContentAsync()).Value.Content.ToMemory(), "Copy Blob across accounts");
        await target.GetBlockBlobClient("put").SyncUploadFromUriAsync(withSas);
        AzureAssert.BytesEqual(payload, (await target.GetBlobClient("put").DownloadContentAsync()).Value.Content.ToMemory(), "Put Blob From URL across accounts");
        var blockId = Convert.ToBase64String("x-01"u8.ToArray());
        await target.GetBlockBlobClient("block").StageBlockFromUriAsync(withSas, blockId, new StageBlockFromUriOptions { SourceRange = new HttpRange(0, 1000) });
        await target.GetBlockBlobClient("block").CommitBlockListAsync([blockId]);
        Assert.Equal(1000, (await target.GetBlobClient("block").GetPropertiesAsync()).Value.ContentLength);

        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.GetBlobClient("nosas").SyncCopyFromUriAsync(source.Uri));
        await AzureAssert.FailsAsync(403, "CannotVerifyCopySource", () => target.GetBlobClient("writesas").SyncCopyFromUriAsync(withWriteSas));
        await AzureAssert.FailsAsync(403, "CannotVerifyCopySource", () => target.GetBlockBlobClient("writesas").SyncUploadFromUriAsync(withWriteSas));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetBlobClient("nosas").GetPropertiesAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetBlobClient("writesas").GetPropertiesAsync());
    }
}
