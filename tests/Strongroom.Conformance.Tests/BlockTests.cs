using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class BlockTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    readonly RawClient _raw = new(fixture.Server);
    readonly SharedKeySigner _signer = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

    public void Dispose() => _raw.Dispose();

    static string Id(string label) => Convert.ToBase64String(Encoding.UTF8.GetBytes(label.PadRight(8, '_')));

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    static async Task StageAsync(BlockBlobClient blob, string id, byte[] data)
    {
        using var stream = new MemoryStream(data, writable: false);
        var response = await blob.StageBlockAsync(id, stream);
        Assert.Equal(201, response.GetRawResponse().Status);
    }

    /// <summary>A blob that never had a block accepted: Azure answers 404 BlobNotFound, or an empty list.</summary>
    static async Task AssertNoBlocksAsync(BlockBlobClient blob)
    {
        try
        {
            var list = (await blob.GetBlockListAsync(BlockListTypes.All)).Value;
            Assert.Empty(list.UncommittedBlocks);
            Assert.Empty(list.CommittedBlocks);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    static async Task<byte[]> DownloadAsync(BlobBaseClient blob) => (await blob.DownloadContentAsync()).Value.Content.ToArray();

    Task<RawResponse> PutBlockListRawAsync(BlobContainerClient container, string blobName, string xml) =>
        _raw.SendAsync(
            HttpMethod.Put,
            StrongroomProcess.DevAccountName,
            $"/{container.Name}/{Uri.EscapeDataString(blobName)}?comp=blocklist",
            _signer,
            Encoding.UTF8.GetBytes(xml),
            new Dictionary<string, string> { ["Content-Type"] = "application/xml" });

    [Fact]
    public async Task Blocks_committed_in_a_different_order_than_staged_give_the_committed_order()
    {
        var container = await NewContainerAsync("blockorder");
        var blob = container.GetBlockBlobClient("ordered");
        var parts = new Dictionary<string, byte[]>
        {
            [Id("one")] = Payloads.For("one", 70_000),
            [Id("two")] = Payloads.For("two", 1),
            [Id("three")] = Payloads.For("three", 65_536),
            [Id("four")] = Payloads.For("four", 123_457),
        };
        foreach (var (id, data) in parts)
        {
            await StageAsync(blob, id, data);
        }

        string[] order = [Id("three"), Id("one"), Id("four"), Id("two")];
        var committed = await blob.CommitBlockListAsync(order);
        Assert.Equal(201, committed.GetRawResponse().Status);

        var expected = order.SelectMany(id => parts[id]).ToArray();
        AzureAssert.BytesEqual(expected, await DownloadAsync(blob), "committed content");

        var list = (await blob.GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Equal(order, list.CommittedBlocks.Select(b => b.Name));
        Assert.Equal(order.Select(id => (long)parts[id].Length), list.CommittedBlocks.Select(b => b.SizeLong));
        Assert.Empty(list.UncommittedBlocks);
        Assert.Equal(expected.Length, list.BlobContentLength);
    }

    [Fact]
    public async Task The_same_block_may_be_committed_twice()
    {
        var container = await NewContainerAsync("blockrepeat");
        var blob = container.GetBlockBlobClient("repeated");
        var a = Payloads.For("repeat-a", 1000);
        var b = Payloads.For("repeat-b", 2000);
        await StageAsync(blob, Id("a"), a);
        await StageAsync(blob, Id("b"), b);
        await blob.CommitBlockListAsync([Id("a"), Id("b"), Id("a")]);
        AzureAssert.BytesEqual(a.Concat(b).Concat(a).ToArray(), await DownloadAsync(blob), "a b a");
    }

    [Fact]
    public async Task Block_list_reports_committed_uncommitted_and_all_with_sizes()
    {
        var container = await NewContainerAsync("blocklist");
        var blob = container.GetBlockBlobClient("listed");
        await StageAsync(blob, Id("c1"), new byte[10]);
        await StageAsync(blob, Id("c2"), new byte[20]);
        await blob.CommitBlockListAsync([Id("c1"), Id("c2")]);
        await StageAsync(blob, Id("u1"), new byte[30]);

        var committed = (await blob.GetBlockListAsync(BlockListTypes.Committed)).Value;
        Assert.Equal([(Id("c1"), 10L), (Id("c2"), 20L)], committed.CommittedBlocks.Select(b => (b.Name, b.SizeLong)));
        Assert.Empty(committed.UncommittedBlocks);

        var uncommitted = (await blob.GetBlockListAsync(BlockListTypes.Uncommitted)).Value;
        Assert.Empty(uncommitted.CommittedBlocks);
        Assert.Equal([(Id("u1"), 30L)], uncommitted.UncommittedBlocks.Select(b => (b.Name, b.SizeLong)));

        var all = (await blob.GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Equal(2, all.CommittedBlocks.Count());
        Assert.Single(all.UncommittedBlocks);
        Assert.Equal(30, all.BlobContentLength);
    }

    [Fact]
    public async Task Uncommitted_blocks_of_a_blob_not_yet_committed_are_listed_but_the_blob_does_not_exist()
    {
        var container = await NewContainerAsync("blockstaged");
        var blob = container.GetBlockBlobClient("staged-only");
        await StageAsync(blob, Id("s1"), new byte[5]);

        Assert.False((await blob.ExistsAsync()).Value);
        var list = (await blob.GetBlockListAsync(BlockListTypes.Uncommitted)).Value;
        Assert.Equal([Id("s1")], list.UncommittedBlocks.Select(b => b.Name));

        await foreach (var item in container.GetBlobsAsync())
        {
            Assert.Fail($"A blob with only uncommitted blocks must not be listed by default: {item.Name}");
        }
    }

    [Fact]
    public async Task Commit_with_a_missing_block_is_400_InvalidBlockList_and_changes_nothing()
    {
        var container = await NewContainerAsync("blockmissing");
        var fresh = container.GetBlockBlobClient("fresh");
        await StageAsync(fresh, Id("real"), new byte[10]);
        await AzureAssert.FailsAsync(400, "InvalidBlockList", () => fresh.CommitBlockListAsync([Id("real"), Id("ghost")]));
        Assert.False((await fresh.ExistsAsync()).Value);

        var existing = container.GetBlockBlobClient("existing");
        var original = Payloads.For("existing-original", 5000);
        await StageAsync(existing, Id("orig"), original);
        await existing.CommitBlockListAsync([Id("orig")]);
        await StageAsync(existing, Id("next"), new byte[7]);

        await AzureAssert.FailsAsync(400, "InvalidBlockList", () => existing.CommitBlockListAsync([Id("next"), Id("ghost")]));
        AzureAssert.BytesEqual(original, await DownloadAsync(existing), "content after failed commit");
        var list = (await existing.GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Equal([Id("orig")], list.CommittedBlocks.Select(b => b.Name));
        Assert.Equal([Id("next")], list.UncommittedBlocks.Select(b => b.Name));
    }

    [Theory]
    [InlineData("not base64!!")]
    [InlineData("AAA")] // bad padding
    public async Task Block_id_that_is_not_base64_is_400(string blockId)
    {
        var container = await NewContainerAsync("blockidbad");
        var blob = container.GetBlockBlobClient("bad-id");
        var failure = await AzureAssert.FailsAsync(400, null, () => blob.StageBlockAsync(blockId, new MemoryStream([1, 2, 3])));
        Assert.False(string.IsNullOrEmpty(failure.ErrorCode), failure.Message);
        await AssertNoBlocksAsync(blob);
    }

    [Fact]
    public async Task Block_id_longer_than_64_bytes_is_400()
    {
        var container = await NewContainerAsync("blockidlong");
        var blob = container.GetBlockBlobClient("long-id");
        var tooLong = Convert.ToBase64String(new byte[65]);
        var failure = await AzureAssert.FailsAsync(400, null, () => blob.StageBlockAsync(tooLong, new MemoryStream([1, 2, 3])));
        Assert.False(string.IsNullOrEmpty(failure.ErrorCode), failure.Message);
        await AssertNoBlocksAsync(blob);

        var longest = Convert.ToBase64String(Enumerable.Repeat((byte)7, 64).ToArray());
        await StageAsync(blob, longest, [9]);
        await blob.CommitBlockListAsync([longest]);
        Assert.Equal([9], await DownloadAsync(blob));
    }

    [Fact]
    public async Task Latest_resolves_to_the_committed_block_when_no_newer_uncommitted_one_exists()
    {
        var container = await NewContainerAsync("blocklatest");
        var blob = container.GetBlockBlobClient("mixed");
        var a = Payloads.For("latest-a", 3000);
        var b = Payloads.For("latest-b", 4000);
        var c = Payloads.For("latest-c", 5000);
        await StageAsync(blob, Id("a"), a);
        await StageAsync(blob, Id("b"), b);
        await blob.CommitBlockListAsync([Id("a"), Id("b")]);

        await StageAsync(blob, Id("c"), c);
        await blob.CommitBlockListAsync([Id("a"), Id("c"), Id("b")]);
        AzureAssert.BytesEqual(a.Concat(c).Concat(b).ToArray(), await DownloadAsync(blob), "a c b");

        // A re-staged id wins over the committed block of the same id under <Latest>.
        var newerA = Payloads.For("latest-a-v2", 100);
        await StageAsync(blob, Id("a"), newerA);
        await blob.CommitBlockListAsync([Id("a")]);
        AzureAssert.BytesEqual(newerA, await DownloadAsync(blob), "re-staged a");
    }

    [Fact]
    public async Task Explicit_Committed_and_Uncommitted_elements_select_the_right_blocks()
    {
        var container = await NewContainerAsync("blockexplicit");
        var blob = container.GetBlockBlobClient("explicit");
        var oldA = Payloads.For("explicit-a-old", 1500);
        var newA = Payloads.For("explicit-a-new", 2500);
        var b = Payloads.For("explicit-b", 500);
        await StageAsync(blob, Id("a"), oldA);
        await blob.CommitBlockListAsync([Id("a")]);
        await StageAsync(blob, Id("a"), newA);
        await StageAsync(blob, Id("b"), b);

        var xml = $"""<?xml version="1.0" encoding="utf-8"?><BlockList><Committed>{Id("a")}</Committed><Uncommitted>{Id("b")}</Uncommitted><Uncommitted>{Id("a")}</Uncommitted></BlockList>""";
        var response = await PutBlockListRawAsync(container, blob.Name, xml);
        AzureAssert.Status(response, 201);
        AzureAssert.BytesEqual(oldA.Concat(b).Concat(newA).ToArray(), await DownloadAsync(blob), "committed a, uncommitted b, uncommitted a");
    }

    [Fact]
    public async Task Uncommitted_element_naming_a_committed_only_block_is_400_InvalidBlockList()
    {
        var container = await NewContainerAsync("blockwrongkind");
        var blob = container.GetBlockBlobClient("wrong-kind");
        var original = Payloads.For("wrong-kind", 800);
        await StageAsync(blob, Id("a"), original);
        await blob.CommitBlockListAsync([Id("a")]);

        var xml = $"""<?xml version="1.0" encoding="utf-8"?><BlockList><Uncommitted>{Id("a")}</Uncommitted></BlockList>""";
        var response = await PutBlockListRawAsync(container, blob.Name, xml);
        AzureAssert.Status(response, 400, "InvalidBlockList");
        AzureAssert.BytesEqual(original, await DownloadAsync(blob), "content after rejected commit");
    }

    [Fact]
    public async Task Uncommitted_blocks_are_discarded_by_a_commit()
    {
        var container = await NewContainerAsync("blockdiscard");
        var blob = container.GetBlockBlobClient("discard");
        await StageAsync(blob, Id("a"), new byte[10]);
        await StageAsync(blob, Id("b"), new byte[20]);
        await StageAsync(blob, Id("c"), new byte[30]);
        await blob.CommitBlockListAsync([Id("a"), Id("b")]);

        var list = (await blob.GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Empty(list.UncommittedBlocks);
        await AzureAssert.FailsAsync(400, "InvalidBlockList", () => blob.CommitBlockListAsync([Id("c")]));
        Assert.Equal(30, (await blob.GetPropertiesAsync()).Value.ContentLength);
    }

    [Theory]
    [InlineData("<BlockList><Latest>AAAA</Latest>")]
    [InlineData("this is not xml")]
    [InlineData("<BlockList><Latest>AAAA</Latest></Wrong>")]
    public async Task Malformed_block_list_xml_is_400_InvalidXmlDocument_and_leaves_nothing(string body)
    {
        var container = await NewContainerAsync("blockxml");
        var fresh = container.GetBlockBlobClient("fresh");
        await StageAsync(fresh, "AAAA", new byte[4]);
        var response = await PutBlockListRawAsync(container, fresh.Name, body);
        AzureAssert.Status(response, 400, "InvalidXmlDocument");
        Assert.False((await fresh.ExistsAsync()).Value);
        Assert.Equal(["AAAA"], (await fresh.GetBlockListAsync(BlockListTypes.Uncommitted)).Value.UncommittedBlocks.Select(b => b.Name));

        var existing = container.GetBlockBlobClient("existing");
        await StageAsync(existing, "AAAA", [1, 2, 3]);
        await existing.CommitBlockListAsync(["AAAA"]);
        response = await PutBlockListRawAsync(container, existing.Name, body);
        AzureAssert.Status(response, 400, "InvalidXmlDocument");
        Assert.Equal([1, 2, 3], await DownloadAsync(existing));
        Assert.Equal(["AAAA"], (await existing.GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.Select(b => b.Name));
    }

    [Fact]
    public async Task Raw_put_block_list_with_the_sdk_shape_succeeds()
    {
        // Guards the raw path itself: if this fails, the raw failure tests above prove nothing.
        var container = await NewContainerAsync("blockrawok");
        var blob = container.GetBlockBlobClient("raw-ok");
        await StageAsync(blob, "AAAA", [42]);
        var response = await PutBlockListRawAsync(container, blob.Name, """<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>AAAA</Latest></BlockList>""");
        AzureAssert.Status(response, 201);
        Assert.Equal([42], await DownloadAsync(blob));
    }
}
