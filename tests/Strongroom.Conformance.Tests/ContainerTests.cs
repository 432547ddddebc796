using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class ContainerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    BlobServiceClient Service => fixture.Service;

    [Fact]
    public async Task Create_then_create_again_is_409_ContainerAlreadyExists()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("create"));
        var created = await container.CreateAsync();
        Assert.Equal(201, created.GetRawResponse().Status);
        Assert.NotEqual(default, created.Value.ETag);

        await AzureAssert.FailsAsync(409, "ContainerAlreadyExists", () => container.CreateAsync());
    }

    [Fact]
    public async Task CreateIfNotExists_creates_once_and_then_reports_existing()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("ifnotexists"));
        var first = await container.CreateIfNotExistsAsync();
        Assert.NotNull(first);
        var second = await container.CreateIfNotExistsAsync();
        Assert.Null(second);
        Assert.True((await container.ExistsAsync()).Value);
    }

    [Fact]
    public async Task Get_properties_returns_etag_last_modified_and_metadata()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("props"));
        var metadata = new Dictionary<string, string> { ["Project"] = "strongroom", ["owner"] = "conformance suite" };
        var created = await container.CreateAsync(metadata: metadata);

        var properties = (await container.GetPropertiesAsync()).Value;
        Assert.Equal(created.Value.ETag, properties.ETag);
        Assert.Equal(created.Value.LastModified, properties.LastModified);
        Assert.NotEqual(default, properties.LastModified);
        Assert.Equal("strongroom", properties.Metadata["Project"]);
        Assert.Equal("conformance suite", properties.Metadata["owner"]);
        Assert.Equal(2, properties.Metadata.Count);
    }

    [Fact]
    public async Task Set_metadata_replaces_all_metadata()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("setmeta"));
        await container.CreateAsync(metadata: new Dictionary<string, string> { ["first"] = "1", ["second"] = "2" });

        var set = await container.SetMetadataAsync(new Dictionary<string, string> { ["third"] = "3" });
        Assert.Equal(200, set.GetRawResponse().Status);

        var properties = (await container.GetPropertiesAsync()).Value;
        Assert.Equal(new Dictionary<string, string> { ["third"] = "3" }, properties.Metadata.ToDictionary());
        Assert.Equal(set.Value.ETag, properties.ETag);
    }

    [Fact]
    public async Task Delete_then_delete_again_is_404_ContainerNotFound()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("delete"));
        await container.CreateAsync();
        var deleted = await container.DeleteAsync();
        Assert.Equal(202, deleted.Status);
        Assert.False((await container.ExistsAsync()).Value);

        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => container.DeleteAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => container.GetPropertiesAsync());
    }

    [Fact]
    public async Task DeleteIfExists_reports_whether_it_deleted()
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("deleteifexists"));
        Assert.False((await container.DeleteIfExistsAsync()).Value);
        await container.CreateAsync();
        Assert.True((await container.DeleteIfExistsAsync()).Value);
        Assert.False((await container.ExistsAsync()).Value);
    }

    [Fact]
    public async Task List_with_prefix_pages_through_every_container_exactly_once_in_order()
    {
        var prefix = TestNames.Container("plist") + "-a-";
        var expected = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var name = $"{prefix}{i}";
            await Service.GetBlobContainerClient(name).CreateAsync(metadata: new Dictionary<string, string> { ["index"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            expected.Add(name);
        }

        // A decoy sharing all but the last characters of the prefix must not be listed.
        await Service.GetBlobContainerClient(prefix.TrimEnd('-').TrimEnd('a') + "b-0").CreateAsync();

        var seen = new List<string>();
        var pages = 0;
        await foreach (var page in Service.GetBlobContainersAsync(BlobContainerTraits.Metadata, prefix: prefix).AsPages(pageSizeHint: 2))
        {
            pages++;
            Assert.True(page.Values.Count <= 2, $"page {pages} has {page.Values.Count} items with maxresults=2");
            foreach (var item in page.Values)
            {
                seen.Add(item.Name);
                Assert.Equal(item.Name[^1..], item.Properties.Metadata["index"]);
                Assert.NotEqual(default, item.Properties.ETag);
            }
        }

        Assert.Equal(expected, seen);
        Assert.True(pages >= 4, $"7 containers with maxresults=2 need at least 4 pages, got {pages}");
    }

    [Fact]
    public async Task List_without_metadata_trait_returns_no_metadata()
    {
        var prefix = TestNames.Container("nometa") + "-";
        await Service.GetBlobContainerClient(prefix + "x").CreateAsync(metadata: new Dictionary<string, string> { ["k"] = "v" });

        var items = new List<BlobContainerItem>();
        await foreach (var item in Service.GetBlobContainersAsync(prefix: prefix))
        {
            items.Add(item);
        }

        var only = Assert.Single(items);
        Assert.True(only.Properties.Metadata is null || only.Properties.Metadata.Count == 0);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("UPPER")]
    [InlineData("a--b")]
    [InlineData("-ab")]
    [InlineData("ab-")]
    [InlineData("a_b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 64 characters
    public async Task Invalid_container_names_are_400_InvalidResourceName(string name)
    {
        var container = Service.GetBlobContainerClient(name);
        await AzureAssert.FailsAsync(400, "InvalidResourceName", () => container.CreateAsync(), $"container name '{name}'");

        await foreach (var item in Service.GetBlobContainersAsync(prefix: name.ToLowerInvariant()))
        {
            Assert.Fail($"An invalid container name left something behind: {item.Name}");
        }
    }

    [Fact]
    public async Task Names_at_the_length_limits_are_accepted()
    {
        var shortest = Service.GetBlobContainerClient("a1b");
        await shortest.CreateIfNotExistsAsync();
        Assert.True((await shortest.ExistsAsync()).Value);

        var longest = Service.GetBlobContainerClient("l" + new string('9', 62));
        await longest.CreateAsync();
        Assert.True((await longest.ExistsAsync()).Value);
    }
}
