using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement.Tests;

public sealed class SiteBackendsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-backends-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static SiteDefinition Remote(string id, AzureBlobBackendOptions options) =>
        new(new SiteDescriptor(id, "cn-north", "cn-north-1", "CN", SiteBackendKind.AzureBlob, SiteState.Active), options);

    private string KeyFile(string text)
    {
        var path = Path.Combine(directory, "account.key");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task An_azure_blob_entry_opens_an_azure_blob_site_without_contacting_it()
    {
        // Nothing listens on this endpoint: opening reads the key file only.
        var options = new AzureBlobBackendOptions(new Uri("https://127.0.0.1:1/remoteaccount"), "objects", "remoteaccount", KeyFile(Convert.ToBase64String(new byte[64]) + "\n"), null, false);

        var site = SiteBackends.Create(Remote("cn-north-1a", options), new SeededRandomSource(1));

        var remote = Assert.IsType<AzureBlobSite>(site);
        Assert.Equal("cn-north-1a", remote.Id);
        await remote.DisposeAsync();
    }

    [Fact]
    public void A_missing_key_file_or_plain_http_is_refused_when_the_site_is_opened()
    {
        var missing = new AzureBlobBackendOptions(new Uri("https://127.0.0.1:1/a"), "objects", "a", Path.Combine(directory, "absent.key"), null, false);
        Assert.Throws<IOException>(() => SiteBackends.Create(Remote("r", missing), new SeededRandomSource(1)));

        var http = new AzureBlobBackendOptions(new Uri("http://127.0.0.1:1/a"), "objects", "a", KeyFile(Convert.ToBase64String(new byte[64])), null, false);
        Assert.Throws<ArgumentException>(() => SiteBackends.Create(Remote("r", http), new SeededRandomSource(1)));
    }

    [Fact]
    public void A_key_that_is_not_base64_is_refused_without_quoting_it()
    {
        const string key = "not base64 but secret-looking !!";
        var options = new AzureBlobBackendOptions(new Uri("https://127.0.0.1:1/a"), "objects", "a", KeyFile(key), null, false);
        var refused = Assert.Throws<ArgumentException>(() => SiteBackends.Create(Remote("r", options), new SeededRandomSource(1)));
        Assert.DoesNotContain(key, refused.ToString(), StringComparison.Ordinal);
    }
}
