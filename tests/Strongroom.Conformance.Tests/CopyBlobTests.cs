using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Copy Blob and Copy Blob From URL inside one account of this server (issue 7): synchronous, re-encrypted, refused for anything else.</summary>
public sealed class CopyBlobTests(DataProtectionFixture fixture) : IClassFixture<DataProtectionFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("copy"));
        await container.CreateAsync();
        return container;
    }

    [Fact]
    public async Task Start_copy_completes_at_once_with_the_sources_content_headers_and_metadata()
    {
        var container = await NewContainerAsync();
        var source = container.GetBlobClient("source.bin");
        var payload = Payloads.For("copy-source", 300_000);
        await source.UploadAsync(new BinaryData(payload), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-test" },
            Metadata = new Dictionary<string, string> { ["origin"] = "source" },
        });

        var target = container.GetBlobClient("target.bin");
        var operation = await target.StartCopyFromUriAsync(source.Uri);
        var raw = operation.GetRawResponse();
        Assert.Equal(202, raw.Status);
        Assert.True(raw.Headers.TryGetValue("x-ms-copy-status", out var status));
        Assert.Equal("success", status);
        Assert.True(raw.Headers.TryGetValue("x-ms-copy-id", out var copyId) && !string.IsNullOrEmpty(copyId));
        await operation.WaitForCompletionAsync();

        var copied = await target.DownloadContentAsync();
        AzureAssert.BytesEqual(payload, copied.Value.Content.ToMemory(), "copied content");
        Assert.Equal("application/x-test", copied.Value.Details.ContentType);
        Assert.Equal("source", copied.Value.Details.Metadata["origin"]);

        var withMetadata = container.GetBlobClient("renamed.bin");
        await (await withMetadata.StartCopyFromUriAsync(source.Uri, new BlobCopyFromUriOptions { Metadata = new Dictionary<string, string> { ["origin"] = "copy" } })).WaitForCompletionAsync();
        Assert.Equal("copy", (await withMetadata.GetPropertiesAsync()).Value.Metadata["origin"]);
    }

    [Fact]
    public async Task Sync_copy_from_url_succeeds_and_an_empty_blob_copies()
    {
        var container = await NewContainerAsync();
        var empty = container.GetBlobClient("empty");
        await empty.UploadAsync(BinaryData.FromBytes([]));
        var target = container.GetBlobClient("empty-copy");
        var result = await target.SyncCopyFromUriAsync(empty.Uri);
        Assert.Equal(CopyStatus.Success, result.Value.CopyStatus);
        Assert.Equal(0, (await target.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task A_source_in_another_account_elsewhere_or_missing_is_CannotVerifyCopySource()
    {
        var container = await NewContainerAsync();
        var source = container.GetBlobClient("here");
        await source.UploadAsync(BinaryData.FromString("data"));
        var target = container.GetBlobClient("there");

        var otherAccount = fixture.ServiceFor(DataProtectionFixture.Versioned).GetBlobContainerClient(container.Name).GetBlobClient("here").Uri;
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.StartCopyFromUriAsync(otherAccount));
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.SyncCopyFromUriAsync(new Uri("https://elsewhere.example/devstoreaccount1/c/b")));
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.StartCopyFromUriAsync(container.GetBlobClient("missing").Uri));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => target.GetPropertiesAsync());

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var malformed = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/there", signer, headers: new Dictionary<string, string> { ["x-ms-copy-source"] = "not a url" });
        AzureAssert.Status(malformed, 400, "InvalidHeaderValue");
    }
}
