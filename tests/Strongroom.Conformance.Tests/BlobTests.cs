using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class BlobTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const int KiB = 1024;
    const int MiB = 1024 * 1024;

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    static async Task<List<string>> ListNamesAsync(BlobContainerClient container)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            names.Add(item.Name);
        }

        return names;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData((64 * KiB) - 1)]
    [InlineData(64 * KiB)]
    [InlineData((64 * KiB) + 1)]
    [InlineData(5 * MiB)]
    public async Task Upload_and_download_round_trip(int size)
    {
        var container = await NewContainerAsync("roundtrip");
        var blob = container.GetBlobClient($"size-{size}");
        var data = Payloads.For(blob.Name, size);

        var uploaded = await blob.UploadAsync(BinaryData.FromBytes(data));
        Assert.Equal(201, uploaded.GetRawResponse().Status);

        var content = (await blob.DownloadContentAsync()).Value;
        AzureAssert.BytesEqual(data, content.Content.ToMemory(), "DownloadContent");
        Assert.Equal(uploaded.Value.ETag, content.Details.ETag);

        var streaming = await blob.DownloadStreamingAsync();
        using var copy = new MemoryStream();
        await streaming.Value.Content.CopyToAsync(copy);
        AzureAssert.BytesEqual(data, copy.ToArray(), "DownloadStreaming");

        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(size, properties.ContentLength);
        Assert.Equal(BlobType.Block, properties.BlobType);
        Assert.Equal(uploaded.Value.ETag, properties.ETag);
    }

    [Fact]
    public async Task Forty_MiB_in_staged_blocks_reads_back_through_parallel_ranged_downloads()
    {
        var container = await NewContainerAsync("large");
        var blob = container.GetBlobClient("forty-mib.bin");
        var data = Payloads.For(blob.Name, 40 * MiB);

        using (var source = new MemoryStream(data, writable: false))
        {
            await blob.UploadAsync(source, new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions
                {
                    InitialTransferSize = 4 * MiB,
                    MaximumTransferSize = 4 * MiB,
                    MaximumConcurrency = 4,
                },
            });
        }

        var blocks = (await container.GetBlockBlobClient(blob.Name).GetBlockListAsync(BlockListTypes.Committed)).Value;
        Assert.Equal(10, blocks.CommittedBlocks.Count());
        Assert.All(blocks.CommittedBlocks, b => Assert.Equal(4 * MiB, b.SizeLong));

        using var destination = new MemoryStream();
        await blob.DownloadToAsync(destination, new BlobDownloadToOptions
        {
            TransferOptions = new StorageTransferOptions
            {
                InitialTransferSize = 1 * MiB,
                MaximumTransferSize = 1 * MiB,
                MaximumConcurrency = 8,
            },
        });
        Assert.Equal(data.Length, destination.Length);
        Assert.Equal(Payloads.Sha256Hex(data), Payloads.Sha256Hex(destination.ToArray()));
    }

    [Fact]
    public async Task Empty_blob_downloads_through_every_download_api()
    {
        var container = await NewContainerAsync("empty");
        var blob = container.GetBlobClient("empty.bin");
        await blob.UploadAsync(BinaryData.FromBytes([]));

        Assert.Equal(0, (await blob.DownloadContentAsync()).Value.Content.ToMemory().Length);

        var streaming = await blob.DownloadStreamingAsync();
        using var copy = new MemoryStream();
        await streaming.Value.Content.CopyToAsync(copy);
        Assert.Equal(0, copy.Length);

        using var destination = new MemoryStream();
        await blob.DownloadToAsync(destination);
        Assert.Equal(0, destination.Length);

        Assert.Equal(0, (await blob.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task Upload_without_overwrite_on_existing_blob_is_409_BlobAlreadyExists_and_keeps_content()
    {
        var container = await NewContainerAsync("nooverwrite");
        var blob = container.GetBlobClient("existing.txt");
        await blob.UploadAsync(BinaryData.FromString("original"));

        await AzureAssert.FailsAsync(409, "BlobAlreadyExists", () => blob.UploadAsync(BinaryData.FromString("replacement"), overwrite: false));
        Assert.Equal("original", (await blob.DownloadContentAsync()).Value.Content.ToString());

        await blob.UploadAsync(BinaryData.FromString("replacement"), overwrite: true);
        Assert.Equal("replacement", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Http_headers_round_trip_through_properties_and_download()
    {
        var container = await NewContainerAsync("headers");
        var blob = container.GetBlobClient("report.html");
        var data = Encoding.UTF8.GetBytes("<html>not really gzip</html>");
        var md5 = MD5.HashData(data);
        var headers = new BlobHttpHeaders
        {
            ContentType = "text/html; charset=utf-8",
            ContentEncoding = "gzip",
            ContentLanguage = "en-GB",
            ContentDisposition = "attachment; filename=\"report.html\"",
            CacheControl = "max-age=3600, private",
            ContentHash = md5,
        };
        await blob.UploadAsync(BinaryData.FromBytes(data), new BlobUploadOptions { HttpHeaders = headers });

        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(headers.ContentType, properties.ContentType);
        Assert.Equal(headers.ContentEncoding, properties.ContentEncoding);
        Assert.Equal(headers.ContentLanguage, properties.ContentLanguage);
        Assert.Equal(headers.ContentDisposition, properties.ContentDisposition);
        Assert.Equal(headers.CacheControl, properties.CacheControl);
        Assert.Equal(md5, properties.ContentHash);

        var download = (await blob.DownloadStreamingAsync()).Value;
        await download.Content.DisposeAsync();
        Assert.Equal(headers.ContentType, download.Details.ContentType);
        Assert.Equal(headers.ContentEncoding, download.Details.ContentEncoding);
        Assert.Equal(headers.ContentLanguage, download.Details.ContentLanguage);
        Assert.Equal(headers.ContentDisposition, download.Details.ContentDisposition);
        Assert.Equal(headers.CacheControl, download.Details.CacheControl);
        Assert.Equal(md5, download.Details.ContentHash);
    }

    [Fact]
    public async Task SetHttpHeaders_replaces_and_clears_absent_headers()
    {
        var container = await NewContainerAsync("setheaders");
        var blob = container.GetBlobClient("doc.txt");
        var data = Encoding.UTF8.GetBytes("some text");
        await blob.UploadAsync(BinaryData.FromBytes(data), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders
            {
                ContentType = "text/plain",
                ContentEncoding = "identity",
                ContentLanguage = "fr",
                ContentDisposition = "inline",
                CacheControl = "no-cache",
            },
        });

        await blob.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "application/json", CacheControl = "no-store" });

        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal("application/json", properties.ContentType);
        Assert.Equal("no-store", properties.CacheControl);
        Assert.True(string.IsNullOrEmpty(properties.ContentEncoding), $"ContentEncoding should be cleared, was '{properties.ContentEncoding}'");
        Assert.True(string.IsNullOrEmpty(properties.ContentLanguage), $"ContentLanguage should be cleared, was '{properties.ContentLanguage}'");
        Assert.True(string.IsNullOrEmpty(properties.ContentDisposition), $"ContentDisposition should be cleared, was '{properties.ContentDisposition}'");
        Assert.True(properties.ContentHash is null || properties.ContentHash.Length == 0, "ContentHash should be cleared");
        Assert.Equal(data, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task Metadata_set_and_get_preserves_name_case_and_replaces_on_set()
    {
        var container = await NewContainerAsync("metadata");
        var blob = container.GetBlobClient("with-metadata.txt");
        var metadata = new Dictionary<string, string>
        {
            ["CamelCaseName"] = "Value With Spaces",
            ["lower_case_2"] = "ascii-punctuation !#$%&'*+.^_`|~",
        };
        await blob.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Metadata = metadata });

        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(metadata.Keys.Order(StringComparer.Ordinal), properties.Metadata.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in metadata)
        {
            Assert.Equal(value, properties.Metadata[name]);
        }

        var download = (await blob.DownloadContentAsync()).Value;
        Assert.Equal("Value With Spaces", download.Details.Metadata["CamelCaseName"]);

        await blob.SetMetadataAsync(new Dictionary<string, string> { ["Replacement"] = "only" });
        properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(["Replacement"], properties.Metadata.Keys);
        Assert.Equal("only", properties.Metadata["Replacement"]);
        Assert.Equal("x", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Metadata_of_exactly_8_KiB_is_accepted()
    {
        var container = await NewContainerAsync("meta8k");
        var blob = container.GetBlobClient("full-metadata");

        // Azure counts names and values: 8 × (2 + 1022) = 8192 bytes.
        var metadata = Enumerable.Range(0, 8).ToDictionary(i => $"k{i}", i => new string((char)('a' + i), 1022));
        await blob.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Metadata = metadata });
        Assert.Equal(8, (await blob.GetPropertiesAsync()).Value.Metadata.Count);
    }

    [Fact]
    public async Task Oversize_metadata_is_400_and_creates_nothing()
    {
        var container = await NewContainerAsync("metabig");
        var blob = container.GetBlobClient("too-much-metadata");
        var metadata = Enumerable.Range(0, 8).ToDictionary(i => $"k{i}", i => new string((char)('a' + i), 1022));
        metadata["k8"] = "z"; // 8192 + 3 bytes

        await AzureAssert.FailsAsync(400, null, () => blob.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Metadata = metadata }));
        Assert.False((await blob.ExistsAsync()).Value);
        Assert.Empty(await ListNamesAsync(container));

        // On an existing blob, the failed set leaves the old metadata in place.
        await blob.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["keep"] = "me" } });
        await AzureAssert.FailsAsync(400, null, () => blob.SetMetadataAsync(metadata));
        Assert.Equal("me", (await blob.GetPropertiesAsync()).Value.Metadata["keep"]);
        Assert.Single((await blob.GetPropertiesAsync()).Value.Metadata);
    }

    [Fact]
    public async Task Metadata_name_that_is_not_an_identifier_is_400_InvalidMetadata()
    {
        // The SDK sends the header unchecked (x-ms-meta-1abc), so the server must reject it.
        var container = await NewContainerAsync("metaname");
        var blob = container.GetBlobClient("bad-metadata-name");
        await AzureAssert.FailsAsync(400, "InvalidMetadata", () => blob.UploadAsync(
            BinaryData.FromString("x"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["1abc"] = "v" } }));
        Assert.False((await blob.ExistsAsync()).Value);

        await AzureAssert.FailsAsync(400, "InvalidMetadata", () => container.SetMetadataAsync(new Dictionary<string, string> { ["1abc"] = "v" }));
    }

    [Fact]
    public async Task Exists_and_DeleteIfExists_follow_the_blob()
    {
        var container = await NewContainerAsync("exists");
        var blob = container.GetBlobClient("now-you-see-me");
        Assert.False((await blob.ExistsAsync()).Value);
        Assert.False((await blob.DeleteIfExistsAsync()).Value);

        await blob.UploadAsync(BinaryData.FromString("here"));
        Assert.True((await blob.ExistsAsync()).Value);
        Assert.True((await blob.DeleteIfExistsAsync()).Value);
        Assert.False((await blob.ExistsAsync()).Value);
        Assert.Empty(await ListNamesAsync(container));
    }

    [Fact]
    public async Task Missing_blob_is_404_BlobNotFound_for_delete_download_and_head()
    {
        var container = await NewContainerAsync("missingblob");
        var blob = container.GetBlobClient("never-written");
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.DeleteAsync());
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.DownloadContentAsync());

        // HEAD has no body: the code must come from the x-ms-error-code header.
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.GetPropertiesAsync());
    }

    [Fact]
    public async Task Blob_operations_in_a_missing_container_are_404_ContainerNotFound()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("nocontainer"));
        var blob = container.GetBlobClient("orphan");
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => blob.UploadAsync(BinaryData.FromString("x")));
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => blob.DownloadContentAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => blob.GetPropertiesAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => blob.DeleteAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => container.GetBlockBlobClient("orphan")
            .StageBlockAsync(Convert.ToBase64String(new byte[8]), new MemoryStream([1, 2, 3])));
        await AzureAssert.FailsAsync(404, "ContainerNotFound", async () =>
        {
            await foreach (var unused in container.GetBlobsAsync())
            {
            }
        });
        Assert.False((await container.ExistsAsync()).Value);
    }

    [Fact]
    public async Task Deleting_a_container_deletes_its_blobs()
    {
        var container = await NewContainerAsync("cascade");
        await container.GetBlobClient("inside").UploadAsync(BinaryData.FromString("x"));
        await container.DeleteAsync();
        await container.CreateAsync();
        Assert.False((await container.GetBlobClient("inside").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Overwriting_a_blob_changes_its_etag_and_content()
    {
        var container = await NewContainerAsync("overwrite");
        var blob = container.GetBlobClient("rewritten");
        var first = await blob.UploadAsync(BinaryData.FromString("first version"));
        var second = await blob.UploadAsync(BinaryData.FromString("second"), overwrite: true);
        Assert.NotEqual(first.Value.ETag, second.Value.ETag);
        var download = (await blob.DownloadContentAsync()).Value;
        Assert.Equal("second", download.Content.ToString());
        Assert.Equal(second.Value.ETag, download.Details.ETag);
    }

    [Fact]
    public async Task Download_with_stale_if_match_is_412_ConditionNotMet()
    {
        var container = await NewContainerAsync("ifmatch");
        var blob = container.GetBlobClient("conditional");
        var first = await blob.UploadAsync(BinaryData.FromString("one"));
        await blob.UploadAsync(BinaryData.FromString("two"), overwrite: true);

        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.DownloadContentAsync(new BlobDownloadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = first.Value.ETag },
        }));
    }
}
