using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Snapshot Blob and the HTTP conditional headers of every implemented read and write (issue 8), driven by the real SDK.</summary>
public sealed class SnapshotAndConditionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("snap"));
        await container.CreateAsync();
        return container;
    }

    [Fact]
    public async Task A_snapshot_keeps_the_content_and_metadata_it_was_taken_with_and_is_listed_and_deleted_with_its_blob()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("base");
        var uploaded = await blob.UploadAsync(BinaryData.FromString("first"), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["m"] = "base" } });

        var plain = await blob.CreateSnapshotAsync();
        Assert.Equal(201, plain.GetRawResponse().Status);
        Assert.Equal(uploaded.Value.ETag, plain.Value.ETag);
        Assert.False(string.IsNullOrEmpty(plain.Value.Snapshot));
        var withMetadata = await blob.CreateSnapshotAsync(new Dictionary<string, string> { ["m"] = "snap" });
        Assert.NotEqual(plain.Value.Snapshot, withMetadata.Value.Snapshot);

        await blob.UploadAsync(BinaryData.FromString("second"), overwrite: true);
        var snapshotClient = blob.WithSnapshot(plain.Value.Snapshot);
        Assert.Equal("first", (await snapshotClient.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("base", (await snapshotClient.GetPropertiesAsync()).Value.Metadata["m"]);
        Assert.Equal("snap", (await blob.WithSnapshot(withMetadata.Value.Snapshot).GetPropertiesAsync()).Value.Metadata["m"]);
        Assert.Equal("second", (await blob.DownloadContentAsync()).Value.Content.ToString());

        var snapshots = new List<string>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Snapshots }))
        {
            if (item.Snapshot is { } id)
            {
                snapshots.Add(id);
            }
        }

        Assert.Equal(new[] { plain.Value.Snapshot, withMetadata.Value.Snapshot }.Order(StringComparer.Ordinal), snapshots);

        await AzureAssert.FailsAsync(409, "SnapshotsPresent", () => blob.DeleteAsync());
        await blob.DeleteAsync(DeleteSnapshotsOption.OnlySnapshots);
        await AzureAssert.FailsAsync(404, null, () => snapshotClient.GetPropertiesAsync());
        Assert.Equal("second", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Snapshot_failures_are_azures_and_leave_no_snapshot()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("guarded");
        var uploaded = await blob.UploadAsync(BinaryData.FromString("x"));
        var etag = uploaded.Value.ETag;
        var later = uploaded.Value.LastModified.AddMinutes(5);
        var earlier = uploaded.Value.LastModified.AddMinutes(-5);

        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { IfMatch = new ETag("\"0x1\"") }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { IfNoneMatch = etag }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { IfModifiedSince = later }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { IfUnmodifiedSince = earlier }));
        await AzureAssert.FailsAsync(400, "InvalidMetadata", () => blob.CreateSnapshotAsync(new Dictionary<string, string> { ["1bad"] = "v" }));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("missing").CreateSnapshotAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => Service.GetBlobContainerClient("no-such-container").GetBlobClient("b").CreateSnapshotAsync());

        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Snapshots }))
        {
            Assert.Null(item.Snapshot);
        }

        await blob.CreateSnapshotAsync(conditions: new BlobRequestConditions { IfMatch = etag, IfUnmodifiedSince = later, IfModifiedSince = earlier });
        Assert.Equal(etag, (await blob.GetPropertiesAsync()).Value.ETag);
    }

    [Fact]
    public async Task Reads_answer_304_or_412_as_azure_does()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("read");
        var uploaded = await blob.UploadAsync(BinaryData.FromString("content"));
        var etag = uploaded.Value.ETag;
        var later = uploaded.Value.LastModified.AddMinutes(5);
        var earlier = uploaded.Value.LastModified.AddMinutes(-5);
        var wrong = new ETag("\"0x1\"");

        // The SDK hands a download's 304 back as a response (its classifier lets it through); properties throw.
        var notModifiedDownload = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = etag } });
        Assert.Equal(304, notModifiedDownload.GetRawResponse().Status);
        notModifiedDownload = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfModifiedSince = later } });
        Assert.Equal(304, notModifiedDownload.GetRawResponse().Status);
        await AzureAssert.FailsAsync(304, null, () => blob.GetPropertiesAsync(new BlobRequestConditions { IfNoneMatch = etag }));
        await AzureAssert.FailsAsync(304, null, () => blob.GetPropertiesAsync(new BlobRequestConditions { IfModifiedSince = later }));

        foreach (var read in new Func<BlobRequestConditions, Task>[]
        {
            conditions => blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = conditions }),
            conditions => blob.GetPropertiesAsync(conditions),
        })
        {
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => read(new BlobRequestConditions { IfMatch = wrong }));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => read(new BlobRequestConditions { IfUnmodifiedSince = earlier }));

            // If-Match wins over If-Unmodified-Since, If-None-Match over If-Modified-Since.
            await read(new BlobRequestConditions { IfMatch = etag, IfModifiedSince = earlier });
            await read(new BlobRequestConditions { IfNoneMatch = wrong, IfModifiedSince = earlier });
            await read(new BlobRequestConditions { IfMatch = ETag.All });
        }

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var star = await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}/read", signer, headers: new Dictionary<string, string> { ["If-None-Match"] = "*" });
        AzureAssert.Status(star, 400, "UnsatisfiableCondition");
        var notModified = await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}/read", signer, headers: new Dictionary<string, string> { ["If-None-Match"] = etag.ToString("H") });
        Assert.Equal(304, notModified.Status);
        Assert.Empty(notModified.Body);
    }

    [Fact]
    public async Task Writes_answer_412_and_if_none_match_star_is_BlobAlreadyExists()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("write");
        var uploaded = await blob.UploadAsync(BinaryData.FromString("content"), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["v"] = "1" } });
        var later = uploaded.Value.LastModified.AddMinutes(5);
        var earlier = uploaded.Value.LastModified.AddMinutes(-5);
        var failing = new[]
        {
            new BlobRequestConditions { IfMatch = new ETag("\"0x1\"") },
            new BlobRequestConditions { IfNoneMatch = uploaded.Value.ETag },
            new BlobRequestConditions { IfModifiedSince = later },
            new BlobRequestConditions { IfUnmodifiedSince = earlier },
        };

        foreach (var conditions in failing)
        {
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.UploadAsync(BinaryData.FromString("over"), new BlobUploadOptions { Conditions = conditions }));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.SetMetadataAsync(new Dictionary<string, string> { ["v"] = "2" }, conditions));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "x/y" }, conditions));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.DeleteAsync(conditions: conditions));
        }

        await AzureAssert.FailsAsync(409, "BlobAlreadyExists", () => blob.UploadAsync(BinaryData.FromString("over"), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }));
        Assert.Equal("content", (await blob.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("1", (await blob.GetPropertiesAsync()).Value.Metadata["v"]);

        await blob.SetMetadataAsync(new Dictionary<string, string> { ["v"] = "2" }, new BlobRequestConditions { IfMatch = uploaded.Value.ETag, IfModifiedSince = earlier });
        await container.GetBlobClient("fresh").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } });
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.GetBlobClient("absent").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = ETag.All } }));
    }

    [Fact]
    public async Task Container_operations_take_only_the_date_conditions()
    {
        var container = await NewContainerAsync();
        var properties = await container.GetPropertiesAsync();
        var later = properties.Value.LastModified.AddMinutes(5);
        var earlier = properties.Value.LastModified.AddMinutes(-5);

        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.SetMetadataAsync(new Dictionary<string, string> { ["a"] = "b" }, new BlobRequestConditions { IfModifiedSince = later }));
        await container.SetMetadataAsync(new Dictionary<string, string> { ["a"] = "b" }, new BlobRequestConditions { IfModifiedSince = earlier });
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.DeleteAsync(new BlobRequestConditions { IfUnmodifiedSince = earlier }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.DeleteAsync(new BlobRequestConditions { IfModifiedSince = later }));

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var etag = properties.Value.ETag.ToString("H");
        var cases = new (HttpMethod Method, string Query, string Header, string Value)[]
        {
            (HttpMethod.Delete, "?restype=container", "If-Match", etag),
            (HttpMethod.Delete, "?restype=container", "If-None-Match", "*"),
            (HttpMethod.Put, "?restype=container&comp=metadata", "If-Match", etag),
            (HttpMethod.Put, "?restype=container&comp=metadata", "If-Unmodified-Since", later.ToString("R")),
        };
        foreach (var (method, query, header, value) in cases)
        {
            var response = await raw.SendAsync(method, StrongroomProcess.DevAccountName, $"/{container.Name}{query}", signer, headers: new Dictionary<string, string> { [header] = value });
            AzureAssert.Status(response, 400, "UnsupportedHeader", $"{method} {query} {header}");
        }

        await container.GetPropertiesAsync();
        await container.DeleteAsync(new BlobRequestConditions { IfUnmodifiedSince = later, IfModifiedSince = earlier });
    }
}
