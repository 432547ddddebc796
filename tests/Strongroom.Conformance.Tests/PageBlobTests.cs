using System.Net.Http;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Page blobs through the Azure SDK's PageBlobClient and raw requests (issue 8).</summary>
public sealed class PageBlobTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const int Page = 512;
    const int MiB = 1024 * 1024;

    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> ContainerAsync(string stem)
    {
        var container = Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Get_page_ranges_honours_x_ms_if_tags()
    {
        var container = await ContainerAsync("pagetags");
        var blob = container.GetPageBlobClient("disk.vhd");
        await blob.CreateAsync(4 * Page);
        await blob.SetTagsAsync(new Dictionary<string, string> { ["disk"] = "os" });

        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(async () =>
        {
            await foreach (var _ in blob.GetAllPageRangesAsync(new GetPageRangesOptions { Conditions = new PageBlobRequestConditions { TagConditions = "\"disk\" = 'data'" } }))
            {
            }
        });
        Assert.Equal(412, refused.Status);
        Assert.Equal("ConditionNotMet", refused.ErrorCode);

        await foreach (var _ in blob.GetAllPageRangesAsync(new GetPageRangesOptions { Conditions = new PageBlobRequestConditions { TagConditions = "\"disk\" = 'os'" } }))
        {
        }
    }

    static async Task<List<PageRangeItem>> RangesAsync(PageBlobClient blob, string? previousSnapshot = null, string? snapshot = null)
    {
        var ranges = new List<PageRangeItem>();
        var pages = previousSnapshot is null
            ? blob.GetAllPageRangesAsync(new GetPageRangesOptions { Snapshot = snapshot })
            : blob.GetAllPageRangesDiffAsync(new GetPageRangesDiffOptions { PreviousSnapshot = previousSnapshot, Snapshot = snapshot });
        await foreach (var range in pages)
        {
            ranges.Add(range);
        }

        return ranges;
    }

    static (long Start, long End, bool Clear)[] Shape(IEnumerable<PageRangeItem> ranges) =>
        [.. ranges.Select(range => (range.Range.Offset, range.Range.Offset + range.Range.Length!.Value - 1, range.IsClear))];

    [Fact]
    public async Task Create_upload_clear_and_read_sparse_with_page_ranges()
    {
        var container = await ContainerAsync("pages");
        var blob = container.GetPageBlobClient("disk.vhd");
        const long Size = 6L * MiB;
        var created = await blob.CreateAsync(Size, new PageBlobCreateOptions { SequenceNumber = 3, Metadata = new Dictionary<string, string> { ["kind"] = "disk" } });
        Assert.NotNull(created.Value.ETag.ToString());

        var first = Pattern(3 * Page, 1);
        var second = Pattern(MiB + Page, 2);
        var uploaded = await blob.UploadPagesAsync(new MemoryStream(first), 0);
        Assert.Equal(3, uploaded.Value.BlobSequenceNumber);
        Assert.NotNull(uploaded.Value.ContentHash);
        await blob.UploadPagesAsync(new MemoryStream(second), (2L * MiB) - Page);

        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Page, properties.BlobType);
        Assert.Equal(Size, properties.ContentLength);
        Assert.Equal(3, properties.BlobSequenceNumber);
        Assert.Equal("disk", properties.Metadata["kind"]);

        var expected = new byte[Size];
        first.CopyTo(expected, 0);
        second.CopyTo(expected, (2 * MiB) - Page);
        AzureAssert.BytesEqual(expected, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "the whole blob, holes as zeros");
        var window = await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(Page, 4L * MiB) });
        AzureAssert.BytesEqual(expected.AsMemory(Page, 4 * MiB), window.Value.Content.ToMemory(), "a range across holes and chunks");

        Assert.Equal([(0L, (3L * Page) - 1, false), ((2L * MiB) - Page, (3L * MiB) - 1, false)], Shape(await RangesAsync(blob)));

        await blob.ClearPagesAsync(new HttpRange(Page, Page));
        await blob.ClearPagesAsync(new HttpRange(2L * MiB, MiB));
        Array.Clear(expected, Page, Page);
        Array.Clear(expected, 2 * MiB, MiB);
        AzureAssert.BytesEqual(expected, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "after clearing");
        Assert.Equal(
            [(0L, Page - 1L, false), (2L * Page, (3L * Page) - 1, false), ((2L * MiB) - Page, (2L * MiB) - 1, false)],
            Shape(await RangesAsync(blob)));

        // Paged listing (maxresults and marker): the same ranges, two per page.
        var paged = new List<PageRangeItem>();
        var pageCount = 0;
        await foreach (var pageOfRanges in blob.GetAllPageRangesAsync().AsPages(pageSizeHint: 2))
        {
            pageCount++;
            paged.AddRange(pageOfRanges.Values);
        }

        Assert.Equal(2, pageCount);
        Assert.Equal(Shape(await RangesAsync(blob)), Shape(paged));

        var listed = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync())
        {
            listed.Add(item);
        }

        Assert.Equal(BlobType.Page, Assert.Single(listed).Properties.BlobType);
        Assert.Equal(3, listed[0].Properties.BlobSequenceNumber);
    }

    [Fact]
    public async Task Resize_and_sequence_numbers_with_their_conditions()
    {
        var container = await ContainerAsync("pageseq");
        var blob = container.GetPageBlobClient("seq");
        await blob.CreateAsync(2L * MiB);
        await blob.UploadPagesAsync(new MemoryStream(Pattern(2 * MiB, 3)), 0);

        var shrunk = await blob.ResizeAsync(MiB / 2);
        Assert.Equal(0, shrunk.Value.BlobSequenceNumber);
        await blob.ResizeAsync(MiB);
        var content = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(MiB, content.Length);
        Assert.Equal(Pattern(2 * MiB, 3).AsSpan(0, MiB / 2).ToArray(), content.AsSpan(0, MiB / 2).ToArray());
        Assert.True(content.AsSpan(MiB / 2).IndexOfAnyExcept((byte)0) < 0, "pages cut by a shrink read as zeros after a grow");
        Assert.Equal([(0L, (MiB / 2L) - 1, false)], Shape(await RangesAsync(blob)));
        await AzureAssert.FailsAsync(400, "InvalidHeaderValue", () => blob.ResizeAsync(1000));

        Assert.Equal(5, (await blob.UpdateSequenceNumberAsync(SequenceNumberAction.Update, 5)).Value.BlobSequenceNumber);
        Assert.Equal(5, (await blob.UpdateSequenceNumberAsync(SequenceNumberAction.Max, 2)).Value.BlobSequenceNumber);
        Assert.Equal(9, (await blob.UpdateSequenceNumberAsync(SequenceNumberAction.Max, 9)).Value.BlobSequenceNumber);
        Assert.Equal(10, (await blob.UpdateSequenceNumberAsync(SequenceNumberAction.Increment)).Value.BlobSequenceNumber);
        Assert.Equal(10, (await blob.GetPropertiesAsync()).Value.BlobSequenceNumber);

        var page = Pattern(Page, 4);
        await AzureAssert.FailsAsync(412, "SequenceNumberConditionNotMet", () => blob.UploadPagesAsync(new MemoryStream(page), 0, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { IfSequenceNumberLessThan = 10 } }));
        await AzureAssert.FailsAsync(412, "SequenceNumberConditionNotMet", () => blob.UploadPagesAsync(new MemoryStream(page), 0, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { IfSequenceNumberLessThanOrEqual = 9 } }));
        await AzureAssert.FailsAsync(412, "SequenceNumberConditionNotMet", () => blob.ClearPagesAsync(new HttpRange(0, Page), new PageBlobRequestConditions { IfSequenceNumberEqual = 11 }));
        await blob.UploadPagesAsync(new MemoryStream(page), 0, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { IfSequenceNumberEqual = 10, IfSequenceNumberLessThan = 11 } });
        var etag = (await blob.GetPropertiesAsync()).Value.ETag;
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.UploadPagesAsync(new MemoryStream(page), 0, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { IfMatch = new ETag("\"0x1\"") } }));
        await blob.UploadPagesAsync(new MemoryStream(page), Page, new PageBlobUploadPagesOptions { Conditions = new PageBlobRequestConditions { IfMatch = etag } });
        AzureAssert.BytesEqual(page, (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(Page, Page) })).Value.Content.ToMemory(), "the conditional write");
    }

    [Fact]
    public async Task Failures_answer_as_Azure_and_write_nothing()
    {
        var container = await ContainerAsync("pagefail");
        var blob = container.GetPageBlobClient("small");
        await AzureAssert.FailsAsync(400, "InvalidHeaderValue", () => blob.CreateAsync(1000));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.UploadPagesAsync(new MemoryStream(new byte[Page]), 0));
        await blob.CreateAsync(4 * Page);

        await AzureAssert.FailsAsync(416, "InvalidPageRange", () => blob.UploadPagesAsync(new MemoryStream(new byte[Page]), 4 * Page), "beyond the size");
        await AzureAssert.FailsAsync(416, "InvalidPageRange", () => blob.UploadPagesAsync(new MemoryStream(new byte[Page]), 3 * Page / 2), "misaligned offset");
        await AzureAssert.FailsAsync(416, "InvalidPageRange", () => blob.ClearPagesAsync(new HttpRange(4 * Page, Page)), "clear beyond the size");
        await AzureAssert.FailsAsync(416, "InvalidPageRange", () => blob.ClearPagesAsync(new HttpRange(0, 100)), "misaligned length");

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var path = $"/{container.Name}/small?comp=page";
        Dictionary<string, string> Headers(string range, string write = "update") => new() { ["x-ms-range"] = range, ["x-ms-page-write"] = write };

        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], Headers("bytes=1-512")), 416, "InvalidPageRange");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], Headers("bytes=0-1023")), 416, "InvalidPageRange");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], Headers("bytes=0-")), 400, "InvalidHeaderValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], Headers("bytes=0-511", "erase")), 400, "InvalidHeaderValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], new Dictionary<string, string> { ["x-ms-range"] = "bytes=0-511" }), 400, "MissingRequiredHeader");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], Headers("bytes=0-511", "clear")), 400, "InvalidHeaderValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], new Dictionary<string, string> { ["x-ms-range"] = "bytes=0-511", ["x-ms-page-write"] = "update", ["Content-MD5"] = Convert.ToBase64String(new byte[16]) }), 400, "Md5Mismatch");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, new byte[Page], new Dictionary<string, string> { ["x-ms-range"] = "bytes=0-511", ["x-ms-page-write"] = "update", ["x-ms-if-sequence-number-lt"] = "minus-one" }), 400, "InvalidHeaderValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/other", signer, new byte[Page], new Dictionary<string, string> { ["x-ms-blob-type"] = "PageBlob", ["x-ms-blob-content-length"] = "512" }), 400, "InvalidHeaderValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/other", signer, null, new Dictionary<string, string> { ["x-ms-blob-type"] = "PageBlob" }), 400, "MissingRequiredHeader");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/other", signer, null, new Dictionary<string, string> { ["x-ms-blob-type"] = "PageBlob", ["x-ms-blob-content-length"] = (9L * 1024 * 1024 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) }), 400, "InvalidHeaderValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}/small?comp=pagelist&prevsnapshot=yesterday", signer), 400, "InvalidQueryParameterValue");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}/small?comp=pagelist&prevsnapshot=2026-01-01T00:00:00.0000000Z", signer), 409, "PreviousSnapshotNotFound");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}/small?comp=pagelist", signer, headers: new Dictionary<string, string> { ["x-ms-previous-snapshot-url"] = "https://example.invalid/c/b?snapshot=x" }), 501, "NotImplemented");
        Assert.Empty(await RangesAsync(blob));
        AzureAssert.BytesEqual(new byte[4 * Page], (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "nothing was written by the failures");

        var block = container.GetBlobClient("block");
        await block.UploadAsync(BinaryData.FromBytes([1, 2, 3]));
        var asPage = container.GetPageBlobClient("block");
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => asPage.UploadPagesAsync(new MemoryStream(new byte[Page]), 0));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => asPage.ResizeAsync(Page));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => RangesAsync(asPage));
    }

    [Fact]
    public async Task Concurrent_page_writes_to_one_chunk_lose_nothing()
    {
        var container = await ContainerAsync("pagerace");
        var blob = container.GetPageBlobClient("race");
        await blob.CreateAsync(MiB);
        const int Writers = 24;
        var pages = Enumerable.Range(0, Writers).Select(i => Pattern(Page, 50 + i)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => blob.UploadPagesAsync(new MemoryStream(pages[i]), (long)i * 3 * Page)));

        var content = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        for (var i = 0; i < Writers; i++)
        {
            Assert.Equal(pages[i], content.AsSpan(i * 3 * Page, Page).ToArray());
        }

        Assert.Equal(Writers, (await RangesAsync(blob)).Count);
    }

    [Fact]
    public async Task Open_write_streams_pages_and_upload_pages_from_uri_copies_within_the_account()
    {
        var container = await ContainerAsync("pagestream");
        var blob = container.GetPageBlobClient("streamed");
        var content = Pattern((5 * MiB) + (3 * Page), 5);
        await using (var stream = await blob.OpenWriteAsync(overwrite: true, position: 0, new PageBlobOpenWriteOptions { Size = 6L * MiB, BufferSize = 4 * MiB }))
        {
            await stream.WriteAsync(content);
        }

        var read = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(6 * MiB, read.Length);
        Assert.Equal(content, read.AsSpan(0, content.Length).ToArray());

        var source = container.GetBlobClient("source.bin");
        var sourceBytes = Pattern(2 * MiB, 6);
        await source.UploadAsync(BinaryData.FromBytes(sourceBytes));
        var target = container.GetPageBlobClient("copied");
        await target.CreateAsync(4L * MiB);
        var copied = await target.UploadPagesFromUriAsync(source.Uri, new HttpRange(MiB, MiB), new HttpRange(2L * MiB, MiB));
        Assert.Equal(0, copied.Value.BlobSequenceNumber);
        var window = (await target.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(2L * MiB, MiB) })).Value.Content.ToArray();
        Assert.Equal(sourceBytes.AsSpan(MiB, MiB).ToArray(), window);
        Assert.Equal([(2L * MiB, (3L * MiB) - 1, false)], Shape(await RangesAsync(target)));

        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => target.UploadPagesFromUriAsync(container.GetBlobClient("missing").Uri, new HttpRange(0, Page), new HttpRange(0, Page)));
        await AzureAssert.FailsAsync(416, "InvalidPageRange", () => target.UploadPagesFromUriAsync(source.Uri, new HttpRange(0, Page), new HttpRange(0, 2 * Page)));
    }

    [Fact]
    public async Task Page_ranges_diff_against_a_snapshot()
    {
        var container = await ContainerAsync("pagediff");
        var blob = container.GetPageBlobClient("diff");
        await blob.CreateAsync(4L * MiB);
        await blob.UploadPagesAsync(new MemoryStream(Pattern(3 * MiB, 7)), 0);
        var snapshot = (await blob.CreateSnapshotAsync()).Value.Snapshot;

        await blob.UploadPagesAsync(new MemoryStream(Pattern(Page, 8)), MiB + 1024);
        await blob.ClearPagesAsync(new HttpRange(2L * MiB, MiB));
        await blob.UploadPagesAsync(new MemoryStream(Pattern(Page, 9)), (3L * MiB) + Page);

        Assert.Equal(
            [(MiB, (2L * MiB) - 1, false), (2L * MiB, (3L * MiB) - 1, true), ((3L * MiB) + Page, (3L * MiB) + (2 * Page) - 1, false)],
            Shape(await RangesAsync(blob, snapshot)));
        var atSnapshot = blob.WithSnapshot(snapshot);
        Assert.Equal([(0L, (3L * MiB) - 1, false)], Shape(await RangesAsync(atSnapshot)));
        AzureAssert.BytesEqual(Pattern(3 * MiB, 7), (await atSnapshot.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(0, 3L * MiB) })).Value.Content.ToMemory(), "the snapshot keeps its pages");
    }
}
