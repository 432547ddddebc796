using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
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
    /// <summary>This test's scratch directory (files to upload, downloads, az's profile).</summary>
    string Work { get; } = Directory.CreateTempSubdirectory("strongroom-az-").FullName;

    public void Dispose() => Directory.Delete(Work, recursive: true);

    Task<ToolResult> Az(params string[] arguments) => AzWith(fixture.Server.ConnectionString, arguments);

    /// <summary>Runs az with <paramref name="connectionString"/> as its account, or with none (a SAS URL is the only credential).</summary>
    async Task<ToolResult> AzWith(string? connectionString, params string[] arguments)
    {
        var az = ClientTools.Require("az", "Debian's azure-cli");
        var environment = new Dictionary<string, string>
        {
            // Its own profile directory: nothing read from or written to the user's ~/.azure.
            ["AZURE_CONFIG_DIR"] = Path.Combine(Work, "azure-config"),
            ["AZURE_CORE_COLLECT_TELEMETRY"] = "false",
            ["AZURE_CORE_NO_COLOR"] = "true",
        };
        if (connectionString is not null)
        {
            environment["AZURE_STORAGE_CONNECTION_STRING"] = connectionString;
        }

        return await ClientTools.RunAsync(az, [.. arguments, "--only-show-errors"], environment, TimeSpan.FromMinutes(1));
    }

    static void AssertFailedWith(ToolResult result, string expected, string what) =>
        Assert.True(result.ExitCode != 0 && result.StandardError.Contains(expected, StringComparison.Ordinal), $"{what}: expected {expected}.\n{result}");

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
        var upload = Path.Combine(Work, "upload.bin");
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
        var download = Path.Combine(Work, "download.bin");
        var ranged = Path.Combine(Work, "ranged.bin");
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

    [Fact]
    public async Task Access_tiers_leases_and_a_generated_sas()
    {
        var containerName = TestNames.Container("azcli-tier");
        const string blobName = "tiered.bin";
        var container = fixture.Service.GetBlobContainerClient(containerName);
        await container.CreateAsync();
        var blob = container.GetBlobClient(blobName);
        var first = Payloads.For(containerName, 300_000);
        var second = Payloads.For(containerName + "-second", 4096);
        var firstFile = Path.Combine(Work, "first.bin");
        var secondFile = Path.Combine(Work, "second.bin");
        await File.WriteAllBytesAsync(firstFile, first);
        await File.WriteAllBytesAsync(secondFile, second);

        // Put Blob with x-ms-access-tier.
        await AzOk("storage", "blob", "upload", "--container-name", containerName, "--name", blobName, "--file", firstFile, "--tier", "Cool", "--no-progress");
        Assert.Equal(AccessTier.Cool, (await blob.GetPropertiesAsync()).Value.AccessTier);

        // Set Blob Tier (az 2.45 offers Archive, Cool and Hot for block blobs) beside a read-only SAS for the blob.
        var setTier = AzOk("storage", "blob", "set-tier", "--container-name", containerName, "--name", blobName, "--tier", "Hot", "--type", "block");
        var sas = AzJson("storage", "blob", "generate-sas", "--container-name", containerName, "--name", blobName,
            "--permissions", "r", "--expiry", DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mmZ", System.Globalization.CultureInfo.InvariantCulture), "--full-uri");
        await Task.WhenAll(setTier, sas);
        var sasUrl = (await sas).GetString()!;
        Assert.StartsWith(fixture.Server.ServiceUri.AbsoluteUri.TrimEnd('/') + "/", sasUrl, StringComparison.Ordinal);

        // The SAS URL is az's only credential here: it reads, and cannot write.
        var sasDownload = Path.Combine(Work, "sas-download.bin");
        var download = AzWith(null, "storage", "blob", "download", "--blob-url", sasUrl, "--file", sasDownload, "--no-progress", "--output", "none");
        var sasUpload = AzWith(null, "storage", "blob", "upload", "--blob-url", sasUrl, "--file", secondFile, "--overwrite", "--no-progress", "--output", "none");
        var lease = AzJson("storage", "blob", "lease", "acquire", "--container-name", containerName, "--blob-name", blobName, "--lease-duration", "15");
        await Task.WhenAll(download, sasUpload, lease);
        Assert.True((await download).ExitCode == 0, $"download with the SAS URL.\n{await download}");
        AzureAssert.BytesEqual(first, await File.ReadAllBytesAsync(sasDownload), "az storage blob download --blob-url SAS");
        // az 2.45 prints its own text for a 403 (the JavaScript scenario checks the error code itself).
        AssertFailedWith(await sasUpload, "You do not have the required permissions", "upload with a read-only SAS");
        var leaseId = (await lease).GetString()!;
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(AccessTier.Hot, properties.AccessTier);
        Assert.Equal((LeaseState.Leased, LeaseStatus.Locked, LeaseDurationType.Fixed), (properties.LeaseState, properties.LeaseStatus, properties.LeaseDuration));

        // A write to the leased blob needs the lease id.
        var withoutLease = Az("storage", "blob", "upload", "--container-name", containerName, "--name", blobName, "--file", secondFile, "--overwrite", "--no-progress", "--output", "none");
        var withLease = AzOk("storage", "blob", "upload", "--container-name", containerName, "--name", blobName, "--file", secondFile, "--overwrite",
            "--lease-id", leaseId, "--no-progress");
        await Task.WhenAll(withoutLease, withLease);
        AssertFailedWith(await withoutLease, "LeaseIdMissing", "upload to a leased blob without the lease id");
        AzureAssert.BytesEqual(second, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "az storage blob upload --lease-id");
        await container.GetBlobClient(blobName).GetBlobLeaseClient(leaseId).ReleaseAsync();
        await container.DeleteAsync();
    }
}
