using System.Text.Json;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.RealClients;

/// <summary>
/// Debian's azure-cli (<c>az storage</c>, which test.sh installs when missing) against a real
/// server, addressed by a connection string whose BlobEndpoint is path-style with the server's
/// port (<c>http://127.0.0.1:PORT/devstoreaccount1</c>), given through
/// <c>AZURE_STORAGE_CONNECTION_STRING</c> so no key is on a command line.
/// </summary>
public sealed class AzureCliTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("strongroom-az-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    async Task<ToolResult> Az(params string[] arguments)
    {
        var az = ClientTools.Require("az", "Debian's azure-cli");
        var result = await ClientTools.RunAsync(
            az,
            [.. arguments, "--only-show-errors"],
            new Dictionary<string, string>
            {
                ["AZURE_STORAGE_CONNECTION_STRING"] = fixture.Server.ConnectionString,
                // Its own profile directory: nothing read from or written to the user's ~/.azure.
                ["AZURE_CONFIG_DIR"] = Path.Combine(_work, "azure-config"),
                ["AZURE_CORE_COLLECT_TELEMETRY"] = "false",
                ["AZURE_CORE_NO_COLOR"] = "true",
            },
            TimeSpan.FromMinutes(1));
        return result;
    }

    async Task<JsonElement> AzJson(params string[] arguments)
    {
        var result = await Az([.. arguments, "--output", "json"]);
        Assert.True(result.ExitCode == 0, $"az failed.\n{result}");
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }

    async Task AzOk(params string[] arguments)
    {
        var result = await Az([.. arguments, "--output", "none"]);
        Assert.True(result.ExitCode == 0, $"az failed.\n{result}");
    }

    [Fact]
    public async Task Containers_and_blobs_round_trip_with_metadata_ranges_and_deletes()
    {
        var container = TestNames.Container("azcli");
        const string blobName = "dir/data one ü.bin";
        var data = Payloads.For(container, (2 * 1024 * 1024) + 12345);
        var upload = Path.Combine(_work, "upload.bin");
        await File.WriteAllBytesAsync(upload, data);

        Assert.True((await AzJson("storage", "container", "create", "--name", container, "--metadata", "owner=az")).GetProperty("created").GetBoolean());
        var again = await Az("storage", "container", "create", "--name", container, "--fail-on-exist", "--output", "json");
        Assert.True(again.ExitCode != 0 && again.StandardError.Contains("ContainerAlreadyExists", StringComparison.Ordinal), $"second create.\n{again}");

        await AzOk("storage", "container", "metadata", "update", "--name", container, "--metadata", "stage=two", "owner=az");
        var containerMetadata = await AzJson("storage", "container", "metadata", "show", "--name", container);
        Assert.Equal("two", containerMetadata.GetProperty("stage").GetString());
        Assert.Equal("az", containerMetadata.GetProperty("owner").GetString());

        await AzOk("storage", "blob", "upload", "--container-name", container, "--name", blobName, "--file", upload,
            "--metadata", "origin=az-cli", "--content-type", "application/x-strongroom", "--no-progress");

        // Independent reads run side by side: each az call is a Python start-up of a second or more.
        var download = Path.Combine(_work, "download.bin");
        var ranged = Path.Combine(_work, "ranged.bin");
        var listing = AzJson("storage", "blob", "list", "--container-name", container, "--prefix", "dir/", "--include", "m");
        var full = AzOk("storage", "blob", "download", "--container-name", container, "--name", blobName, "--file", download, "--no-progress");
        var range = AzOk("storage", "blob", "download", "--container-name", container, "--name", blobName, "--file", ranged,
            "--start-range", "1000000", "--end-range", "1099999", "--no-progress");
        var missing = Az("storage", "blob", "show", "--container-name", container, "--name", "nope", "--output", "json");

        // az 2.45 builds a --source-container/--source-blob URL on the public cloud's host whatever
        // the connection string's BlobEndpoint says (it fails against Azurite too), so the source is a URL.
        var sourceUri = $"{fixture.Server.ServiceUri.AbsoluteUri.TrimEnd('/')}/{container}/dir/{Uri.EscapeDataString("data one ü.bin")}";
        var copy = AzJson("storage", "blob", "copy", "start", "--destination-container", container, "--destination-blob", "copy.bin", "--source-uri", sourceUri);
        await Task.WhenAll(listing, full, range, missing, copy);

        var item = Assert.Single((await listing).EnumerateArray());
        Assert.Equal(blobName, item.GetProperty("name").GetString());
        var properties = item.GetProperty("properties");
        Assert.Equal(data.Length, properties.GetProperty("contentLength").GetInt64());
        Assert.Equal("BlockBlob", properties.GetProperty("blobType").GetString());
        Assert.Equal("application/x-strongroom", properties.GetProperty("contentSettings").GetProperty("contentType").GetString());
        Assert.Equal("az-cli", item.GetProperty("metadata").GetProperty("origin").GetString());
        AzureAssert.BytesEqual(data, await File.ReadAllBytesAsync(download), "az storage blob download");
        AzureAssert.BytesEqual(data.AsMemory(1_000_000, 100_000), await File.ReadAllBytesAsync(ranged), "az storage blob download --start-range/--end-range");
        Assert.True((await missing).ExitCode != 0 && (await missing).StandardError.Contains("BlobNotFound", StringComparison.Ordinal), $"show of a missing blob.\n{await missing}");

        Assert.Equal("success", (await copy).GetProperty("copy_status").GetString());
        var copied = await fixture.Service.GetBlobContainerClient(container).GetBlobClient("copy.bin").DownloadContentAsync();
        AzureAssert.BytesEqual(data, copied.Value.Content.ToMemory(), "az storage blob copy start");

        await AzOk("storage", "blob", "metadata", "update", "--container-name", container, "--name", blobName, "--metadata", "replaced=yes");
        var blobMetadata = await AzJson("storage", "blob", "metadata", "show", "--container-name", container, "--name", blobName);
        Assert.Equal("yes", blobMetadata.GetProperty("replaced").GetString());
        Assert.False(blobMetadata.TryGetProperty("origin", out _), "Set Blob Metadata replaces all metadata");

        await AzOk("storage", "blob", "delete", "--container-name", container, "--name", blobName);
        Assert.False(await fixture.Service.GetBlobContainerClient(container).GetBlobClient(blobName).ExistsAsync());

        Assert.True((await AzJson("storage", "container", "delete", "--name", container)).GetProperty("deleted").GetBoolean());
        Assert.False((await AzJson("storage", "container", "exists", "--name", container)).GetProperty("exists").GetBoolean());
    }
}
