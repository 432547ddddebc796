using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class RangeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const int BlobBytes = (3 * 64 * 1024) + 100; // spans several 64 KiB segments and ends mid-segment

    async Task<(BlobClient Blob, byte[] Data)> NewBlobAsync(string stem, int size = BlobBytes)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        var blob = container.GetBlobClient("ranged.bin");
        var data = Payloads.For(container.Name, size);
        await blob.UploadAsync(BinaryData.FromBytes(data));
        return (blob, data);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 65536)]
    [InlineData(65535, 2)]
    [InlineData(65536, 65536)]
    [InlineData(100, 150000)]
    [InlineData(BlobBytes - 1, 1)]
    [InlineData(0, BlobBytes)] // the whole blob, asked as a range, is still 206
    public async Task Range_returns_exact_bytes_with_206_and_content_range(long offset, long length)
    {
        var (blob, data) = await NewBlobAsync("range");
        var response = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset, length) });
        using var copy = new MemoryStream();
        await response.Value.Content.CopyToAsync(copy);

        var raw = response.GetRawResponse();
        Assert.True(raw.Status == 206, $"ranged GET answered {raw.Status}, expected 206");
        Assert.Equal($"bytes {offset}-{offset + length - 1}/{data.Length}", response.Value.Details.ContentRange);
        Assert.Equal(length, response.Value.Details.ContentLength);
        AzureAssert.BytesEqual(data.AsMemory((int)offset, (int)length), copy.ToArray(), $"range {offset}+{length}");
    }

    [Fact]
    public async Task Open_ended_range_past_the_end_is_clamped_to_the_blob()
    {
        var (blob, data) = await NewBlobAsync("rangeclamp");
        var offset = data.Length - 10;
        var response = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset, 1000) });
        using var copy = new MemoryStream();
        await response.Value.Content.CopyToAsync(copy);

        Assert.Equal(206, response.GetRawResponse().Status);
        Assert.Equal($"bytes {offset}-{data.Length - 1}/{data.Length}", response.Value.Details.ContentRange);
        AzureAssert.BytesEqual(data.AsMemory(offset), copy.ToArray(), "clamped range");

        var openEnded = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset) });
        using var rest = new MemoryStream();
        await openEnded.Value.Content.CopyToAsync(rest);
        AzureAssert.BytesEqual(data.AsMemory(offset), rest.ToArray(), "open-ended range");
    }

    [Fact]
    public async Task Range_starting_at_the_size_is_416_InvalidRange()
    {
        var (blob, data) = await NewBlobAsync("range416");
        await AzureAssert.FailsAsync(416, "InvalidRange", () => blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(data.Length, 10) }));
        await AzureAssert.FailsAsync(416, "InvalidRange", () => blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(data.Length + 1000, 1) }));
    }

    [Fact]
    public async Task Ranged_read_of_an_empty_blob_is_416_while_DownloadContent_works()
    {
        var (blob, _) = await NewBlobAsync("rangeempty", size: 0);
        await AzureAssert.FailsAsync(416, "InvalidRange", () => blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(0, 1) }));

        // The SDK's downloaders rely on that 416 to fall back to an unranged GET.
        Assert.Equal(0, (await blob.DownloadContentAsync()).Value.Content.ToMemory().Length);
        using var destination = new MemoryStream();
        await blob.DownloadToAsync(destination);
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task OpenRead_reads_the_blob_in_small_ranges()
    {
        var (blob, data) = await NewBlobAsync("openread");
        await using var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 10_000 });
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        AzureAssert.BytesEqual(data, copy.ToArray(), "OpenRead");
    }

    [Fact]
    public async Task Ranged_read_with_content_md5_returns_the_md5_of_the_range()
    {
        var (blob, data) = await NewBlobAsync("rangemd5");
        var response = await blob.DownloadStreamingAsync(new BlobDownloadOptions
        {
            Range = new HttpRange(1000, 70000),
            TransferValidation = new DownloadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, AutoValidateChecksum = true },
        });
        using var copy = new MemoryStream();
        await response.Value.Content.CopyToAsync(copy);
        AzureAssert.BytesEqual(data.AsMemory(1000, 70000), copy.ToArray(), "range with MD5 validation");
    }
}
