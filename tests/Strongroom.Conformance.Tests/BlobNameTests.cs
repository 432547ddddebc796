using System.Text;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class BlobNameTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
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

    /// <remarks>
    /// The SDK builds URIs with System.Uri, which removes dot segments: "a/../b" is sent (and named
    /// by <see cref="Azure.Storage.Blobs.BlobClient.Name"/>) as "b". The test does what a user does:
    /// round-trips through the same client and expects the listing to show the client's name.
    /// </remarks>
    [Theory]
    [InlineData("日本語/ファイル.txt")]
    [InlineData("emoji-😀-🎉.bin")]
    [InlineData("a/../b")]
    [InlineData("a/..b")]
    [InlineData("..a")]
    [InlineData("%")]
    [InlineData("%25")]
    [InlineData("+")]
    [InlineData("with spaces in the name")]
    [InlineData(" leading-space")]
    [InlineData("a b+c%d")]
    [InlineData("dir/sub/leaf.txt")]
    [InlineData("question?mark#hash")]
    [InlineData("semi;colon,comma=equals&amp'quote")]
    [InlineData("tilde~star*paren()")]
    public async Task Unusual_names_round_trip(string name)
    {
        var container = await NewContainerAsync("names");
        var blob = container.GetBlobClient(name);
        var data = Encoding.UTF8.GetBytes("content of " + name);

        await blob.UploadAsync(BinaryData.FromBytes(data));
        AzureAssert.BytesEqual(data, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), $"blob '{name}'");
        Assert.Equal(data.Length, (await blob.GetPropertiesAsync()).Value.ContentLength);

        var listed = await ListNamesAsync(container);
        Assert.Equal([blob.Name], listed);

        await blob.DeleteAsync();
        Assert.Empty(await ListNamesAsync(container));
    }

    [Fact]
    public async Task Names_that_differ_only_in_escaping_are_different_blobs()
    {
        var container = await NewContainerAsync("escaping");
        string[] names = ["%", "%25", "%2525", "+", "a+b", "a b"];
        foreach (var name in names)
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString("value:" + name));
        }

        foreach (var name in names)
        {
            Assert.Equal("value:" + name, (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString());
        }

        Assert.Equal(names.Order(StringComparer.Ordinal), await ListNamesAsync(container));
    }

    [Fact]
    public async Task Name_of_1024_characters_is_accepted()
    {
        var container = await NewContainerAsync("longname");
        var name = new string('n', 1024);
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromString("long"));
        Assert.Equal("long", (await blob.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal([name], await ListNamesAsync(container));
    }

    [Fact]
    public async Task Name_of_1025_characters_is_400_and_creates_nothing()
    {
        var container = await NewContainerAsync("toolongname");
        var blob = container.GetBlobClient(new string('n', 1025));
        var failure = await AzureAssert.FailsAsync(400, null, () => blob.UploadAsync(BinaryData.FromString("long")));
        Assert.False(string.IsNullOrEmpty(failure.ErrorCode), $"400 without x-ms-error-code: {failure.Message}");
        Assert.Empty(await ListNamesAsync(container));
    }
}
