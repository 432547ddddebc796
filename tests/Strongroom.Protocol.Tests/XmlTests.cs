using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

public sealed class XmlTests
{
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static BlobRecord Blob(string name, IReadOnlyList<KeyValuePair<string, string>>? metadata = null) => new(
        "devstoreaccount1", "c", name, Strongroom.Core.BlobType.BlockBlob, 12, "\"0x8D0000000000001\"", Created, Created.AddHours(1),
        new Strongroom.Core.BlobHttpHeaders("text/plain", null, "en", null, "no-cache", new byte[16]),
        metadata ?? []);

    private static async Task<string> Write(Func<PipeWriter, Task> write)
    {
        var stream = new MemoryStream();
        var pipe = PipeWriter.Create(stream);
        await write(pipe);
        await pipe.CompleteAsync();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task BlobListingHasDocumentedShape()
    {
        var listing = new BlobListing([new BlobListItem(Blob("a/b.txt", [new("Owner", "ops")]), null), new BlobListItem(null, "a/d/")], "next-1");
        var xml = await Write(pipe => XmlResponses.WriteBlobListAsync(pipe, "http://127.0.0.1:10000/devstoreaccount1/", new BlobListRequest("c", "a/", null, "2", "/", true), listing, CancellationToken.None));
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal("EnumerationResults", root.Name.LocalName);
        Assert.Equal("c", root.Attribute("ContainerName")!.Value);
        Assert.Equal("a/", root.Element("Prefix")!.Value);
        Assert.Null(root.Element("Marker"));
        Assert.Equal("2", root.Element("MaxResults")!.Value);
        Assert.Equal("/", root.Element("Delimiter")!.Value);
        var blob = root.Element("Blobs")!.Element("Blob")!;
        Assert.Equal("a/b.txt", blob.Element("Name")!.Value);
        var properties = blob.Element("Properties")!;
        Assert.Equal("0x8D0000000000001", properties.Element("Etag")!.Value);
        Assert.Equal("Fri, 02 Jan 2026 03:04:05 GMT", properties.Element("Creation-Time")!.Value);
        Assert.Equal("12", properties.Element("Content-Length")!.Value);
        Assert.Equal("BlockBlob", properties.Element("BlobType")!.Value);
        Assert.Equal("AAAAAAAAAAAAAAAAAAAAAA==", properties.Element("Content-MD5")!.Value);
        Assert.Equal("true", properties.Element("ServerEncrypted")!.Value);
        Assert.Equal("ops", blob.Element("Metadata")!.Element("Owner")!.Value);
        Assert.Equal("a/d/", root.Element("Blobs")!.Element("BlobPrefix")!.Element("Name")!.Value);
        Assert.Equal("next-1", root.Element("NextMarker")!.Value);
    }

    [Fact]
    public async Task NamesXmlCannotCarryAreEncoded()
    {
        var listing = new BlobListing([new BlobListItem(Blob("bell\u0007.txt"), null)], null);
        var xml = await Write(pipe => XmlResponses.WriteBlobListAsync(pipe, "http://h/a/", new BlobListRequest("c", null, null, null, null, false), listing, CancellationToken.None));
        var name = XDocument.Parse(xml).Root!.Element("Blobs")!.Element("Blob")!.Element("Name")!;
        Assert.Equal("true", name.Attribute("Encoded")!.Value);
        Assert.Equal("bell\u0007.txt", Uri.UnescapeDataString(name.Value));
        Assert.Null(XDocument.Parse(xml).Root!.Element("Blobs")!.Element("Blob")!.Element("Metadata"));
    }

    [Fact]
    public async Task TheSdkParsesOurBlobListing()
    {
        var listing = new BlobListing(
            [new BlobListItem(Blob("a/b.txt", [new("Owner", "ops")]), null), new BlobListItem(null, "a/d/"), new BlobListItem(Blob("x\u0001y"), null)],
            null);
        var xml = await Write(pipe => XmlResponses.WriteBlobListAsync(pipe, "http://127.0.0.1:10000/devstoreaccount1/", new BlobListRequest("c", null, null, null, "/", true), listing, CancellationToken.None));
        var handler = new CapturingHandler { Respond = _ => XmlResponse(xml) };
        var items = new List<BlobHierarchyItem>();
        await foreach (var item in Dev.Client(handler).GetBlobContainerClient("c").GetBlobsByHierarchyAsync(BlobTraits.Metadata, BlobStates.None, "/", null, CancellationToken.None))
        {
            items.Add(item);
        }

        // The SDK yields prefixes before blobs, whatever their order in the XML.
        Assert.Equal(3, items.Count);
        Assert.Equal("a/d/", Assert.Single(items, i => i.IsPrefix).Prefix);
        var blobs = items.Where(i => i.IsBlob).Select(i => i.Blob).ToList();
        Assert.Equal("a/b.txt", blobs[0].Name);
        Assert.Equal(12, blobs[0].Properties.ContentLength);
        Assert.Equal("text/plain", blobs[0].Properties.ContentType);
        Assert.Equal("ops", blobs[0].Metadata["Owner"]);
        Assert.Equal(Created.AddHours(1), blobs[0].Properties.LastModified);
        Assert.Equal("x\u0001y", blobs[1].Name);
    }

    [Fact]
    public async Task TheSdkParsesOurContainerListing()
    {
        var record = new ContainerRecord("devstoreaccount1", "photos", "\"0x8D1\"", Created, Created, [new("k", "v")]);
        var xml = await Write(pipe => XmlResponses.WriteContainerListAsync(pipe, "http://127.0.0.1:10000/devstoreaccount1/", new ContainerListRequest(null, null, null, true), new ContainerListing([record], null), CancellationToken.None));
        var handler = new CapturingHandler { Respond = _ => XmlResponse(xml) };
        var containers = new List<BlobContainerItem>();
        await foreach (var item in Dev.Client(handler).GetBlobContainersAsync(BlobContainerTraits.Metadata))
        {
            containers.Add(item);
        }

        var container = Assert.Single(containers);
        Assert.Equal("photos", container.Name);
        Assert.Equal("v", container.Properties.Metadata["k"]);
        Assert.Equal("$account-encryption-key", container.Properties.DefaultEncryptionScope);
    }

    [Fact]
    public async Task TheSdkParsesOurBlockList()
    {
        var result = new BlockListResult(null, [new Strongroom.Blobs.BlockInfo("YjE=", 10)], [new Strongroom.Blobs.BlockInfo("YjI=", 20)]);
        var xml = await Write(pipe => XmlResponses.WriteBlockListAsync(pipe, result, BlockListType.All, CancellationToken.None));
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal("YjE=", root.Element("CommittedBlocks")!.Element("Block")!.Element("Name")!.Value);
        Assert.Equal("20", root.Element("UncommittedBlocks")!.Element("Block")!.Element("Size")!.Value);

        var handler = new CapturingHandler { Respond = _ => XmlResponse(xml) };
        var list = (await Dev.Client(handler).GetBlobContainerClient("c").GetBlockBlobClient("b").GetBlockListAsync(BlockListTypes.All)).Value;
        Assert.Equal("YjE=", Assert.Single(list.CommittedBlocks).Name);
        Assert.Equal(20, Assert.Single(list.UncommittedBlocks).SizeLong);

        var committedOnly = XDocument.Parse(await Write(pipe => XmlResponses.WriteBlockListAsync(pipe, result, BlockListType.Committed, CancellationToken.None))).Root!;
        Assert.Empty(committedOnly.Element("UncommittedBlocks")!.Elements());
    }

    private static HttpResponseMessage XmlResponse(string xml)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(xml, Encoding.UTF8, "application/xml") };
        response.Headers.Add("x-ms-request-id", Guid.Empty.ToString());
        return response;
    }
}

public sealed class BlockListXmlTests
{
    private static IReadOnlyList<BlockListEntry> Parse(string xml) => BlockListXml.Parse(Encoding.UTF8.GetBytes(xml));

    [Fact]
    public void ParsesAllKindsInOrder()
    {
        var entries = Parse("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlockList>\n  <Latest>YjE=</Latest>\n  <Committed> YjI= </Committed><!-- c --><Uncommitted>YjM=</Uncommitted></BlockList>");
        Assert.Equal([new(BlockListKind.Latest, "YjE="), new(BlockListKind.Committed, "YjI="), new(BlockListKind.Uncommitted, "YjM=")], entries);
        Assert.Empty(Parse("<BlockList/>"));
        Assert.Empty(Parse("<BlockList></BlockList>"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not xml")]
    [InlineData("<BlockList><Latest>YjE=</Latest>")]
    [InlineData("<Blocks><Latest>YjE=</Latest></Blocks>")]
    [InlineData("<BlockList><Newest>YjE=</Newest></BlockList>")]
    [InlineData("<BlockList><Latest><X/></Latest></BlockList>")]
    [InlineData("<BlockList>text</BlockList>")]
    [InlineData("<BlockList/><BlockList/>")]
    [InlineData("<!DOCTYPE BlockList [<!ENTITY x \"YjE=\">]><BlockList><Latest>&x;</Latest></BlockList>")]
    [InlineData("<!DOCTYPE BlockList SYSTEM \"http://127.0.0.1/evil.dtd\"><BlockList/>")]
    public void RejectsMalformedDocuments(string xml)
    {
        var failure = Assert.Throws<BlobProtocolException>(() => Parse(xml));
        Assert.Equal("InvalidXmlDocument", failure.Error.Code);
    }

    [Theory]
    [InlineData("<BlockList><Latest>not base64!</Latest></BlockList>")]
    [InlineData("<BlockList><Latest></Latest></BlockList>")]
    public void RejectsBadBlockIds(string xml)
    {
        var failure = Assert.Throws<StorageException>(() => Parse(xml));
        Assert.Equal(ErrorCode.InvalidBlockList, failure.Code);
    }

    [Fact]
    public void RejectsTooLongIds()
    {
        var id = Convert.ToBase64String(new byte[Limits.BlockIdBytesMax + 1]);
        Assert.Equal(ErrorCode.InvalidBlockList, Assert.Throws<StorageException>(() => Parse($"<BlockList><Latest>{id}</Latest></BlockList>")).Code);
        var longest = Convert.ToBase64String(new byte[Limits.BlockIdBytesMax]);
        Assert.Single(Parse($"<BlockList><Latest>{longest}</Latest></BlockList>"));
    }

    [Fact]
    public void RejectsMoreBlocksThanAllowed()
    {
        var builder = new StringBuilder("<BlockList>");
        for (var i = 0; i <= Limits.CommittedBlocksMax; i++)
        {
            builder.Append("<Latest>YjE=</Latest>");
        }

        builder.Append("</BlockList>");
        Assert.Equal(ErrorCode.BlockListTooLong, Assert.Throws<StorageException>(() => Parse(builder.ToString())).Code);
    }
}
