using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class ListBlobTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    static readonly string[] Names = ["a.txt", "dir/one.txt", "dir/sub/two.txt", "dir/three.txt", "dirt.txt", "z/last.txt", "日本/x.txt"];

    async Task<BlobContainerClient> NewPopulatedContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        foreach (var name in Names)
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(name), new BlobUploadOptions
            {
                Metadata = new Dictionary<string, string> { ["Origin"] = "list-test" },
            });
        }

        return container;
    }

    [Fact]
    public async Task Flat_listing_pages_through_every_blob_once_in_order()
    {
        var container = await NewPopulatedContainerAsync("listflat");
        var seen = new List<string>();
        var pages = 0;
        await foreach (var page in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }).AsPages(pageSizeHint: 2))
        {
            pages++;
            Assert.True(page.Values.Count <= 2, $"page {pages} has {page.Values.Count} items with maxresults=2");
            foreach (var item in page.Values)
            {
                seen.Add(item.Name);
                Assert.Equal("list-test", item.Metadata["Origin"]);
                Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(item.Name), item.Properties.ContentLength);
                Assert.Equal(BlobType.Block, item.Properties.BlobType);
            }
        }

        Assert.Equal(Names.Order(StringComparer.Ordinal), seen);
        Assert.True(pages >= 4, $"7 blobs with maxresults=2 need at least 4 pages, got {pages}");
    }

    [Fact]
    public async Task Prefix_filters_the_flat_listing()
    {
        var container = await NewPopulatedContainerAsync("listprefix");
        var seen = new List<string>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "dir/" }))
        {
            seen.Add(item.Name);
        }

        Assert.Equal(["dir/one.txt", "dir/sub/two.txt", "dir/three.txt"], seen);
    }

    [Fact]
    public async Task Hierarchical_listing_groups_by_delimiter()
    {
        var container = await NewPopulatedContainerAsync("listhier");
        var blobs = new List<string>();
        var prefixes = new List<string>();
        await foreach (var item in container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }))
        {
            if (item.IsPrefix)
            {
                prefixes.Add(item.Prefix);
            }
            else
            {
                blobs.Add(item.Blob.Name);
            }
        }

        Assert.Equal(["a.txt", "dirt.txt"], blobs);
        Assert.Equal(["dir/", "z/", "日本/"], prefixes);

        blobs.Clear();
        prefixes.Clear();
        await foreach (var item in container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/", Prefix = "dir/" }))
        {
            if (item.IsPrefix)
            {
                prefixes.Add(item.Prefix);
            }
            else
            {
                blobs.Add(item.Blob.Name);
            }
        }

        Assert.Equal(["dir/one.txt", "dir/three.txt"], blobs);
        Assert.Equal(["dir/sub/"], prefixes);
    }

    [Fact]
    public async Task Hierarchical_listing_pages_prefixes_and_blobs_together()
    {
        var container = await NewPopulatedContainerAsync("listhierpage");
        var seen = new List<string>();
        await foreach (var page in container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }).AsPages(pageSizeHint: 1))
        {
            Assert.True(page.Values.Count <= 1, $"page has {page.Values.Count} items with maxresults=1");
            seen.AddRange(page.Values.Select(v => v.IsPrefix ? v.Prefix : v.Blob.Name));
        }

        Assert.Equal(["a.txt", "dir/", "dirt.txt", "z/", "日本/"], seen);
    }
}
