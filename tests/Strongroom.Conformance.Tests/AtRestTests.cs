using System.Text;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests;

/// <summary>No plaintext and no names at rest.</summary>
public sealed class AtRestTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    /// <summary>Assumed location of the local-directory site under the data directory.</summary>
    const string SitesDirectory = "sites";

    const string ContainerName = "canary-container-xyz";
    const string BlobName = "canary-blob-name-XYZ";
    const string StagedBlobName = "canary-staged-blob-XYZ";
    const string Phrase = "the quick canary sings in plaintext only if encryption is broken; ";

    static byte[] CanaryContent()
    {
        var builder = new StringBuilder("STRONGROOM-PLAINTEXT-CANARY-");
        while (builder.Length < 1024 * 1024)
        {
            builder.Append(Phrase);
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    [Fact]
    public async Task No_file_under_the_data_directory_contains_plaintext_and_no_site_file_contains_names()
    {
        var container = fixture.Service.GetBlobContainerClient(ContainerName);
        await container.CreateAsync(metadata: new Dictionary<string, string> { ["purpose"] = "canary" });
        var content = CanaryContent();
        await container.GetBlobClient(BlobName).UploadAsync(BinaryData.FromBytes(content));

        // An uncommitted block is stored too, and must be just as opaque.
        using (var block = new MemoryStream(content, writable: false))
        {
            await container.GetBlockBlobClient(StagedBlobName).StageBlockAsync(Convert.ToBase64String(new byte[16]), block);
        }

        AzureAssert.BytesEqual(content, (await container.GetBlobClient(BlobName).DownloadContentAsync()).Value.Content.ToMemory(), "canary read back");

        // Scan while the server runs (WAL not yet checkpointed) and again after a crash.
        ScanAll("while running");
        await fixture.Server.KillAsync();
        ScanAll("after SIGKILL");
        await fixture.Server.StartAsync();
    }

    void ScanAll(string when)
    {
        var dataDirectory = fixture.Server.DataDirectory;
        var plaintextNeedles = new[]
        {
            Encoding.UTF8.GetBytes("STRONGROOM-PLAINTEXT-CANARY-"),
            Encoding.UTF8.GetBytes(Phrase),
        };
        var nameNeedles = new[] { ContainerName, BlobName, StagedBlobName, "canary-container", "canary-blob", "canary-staged" };

        var files = fixture.Server.FilesAtRest();
        var sitesRoot = Path.Combine(dataDirectory, SitesDirectory);
        var siteFiles = files.Where(f => f.StartsWith(sitesRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToArray();
        output.WriteLine($"{when}: {files.Count} files under the data directory, {siteFiles.Length} under {SitesDirectory}/");
        Assert.True(siteFiles.Length > 0, $"{when}: no files under {sitesRoot}; the test assumes the local site lives there.\n{string.Join('\n', files)}");

        var leaks = new List<string>();
        foreach (var file in files)
        {
            var bytes = ReadShared(file);
            foreach (var needle in plaintextNeedles)
            {
                if (bytes.AsSpan().IndexOf(needle) >= 0)
                {
                    leaks.Add($"plaintext '{Encoding.UTF8.GetString(needle)}' in {file}");
                }
            }
        }

        foreach (var file in siteFiles)
        {
            var relative = Path.GetRelativePath(sitesRoot, file);
            var bytes = ReadShared(file);
            foreach (var name in nameNeedles)
            {
                if (relative.Contains(name, StringComparison.OrdinalIgnoreCase))
                {
                    leaks.Add($"name '{name}' in the site path {relative}");
                }

                foreach (var encoded in new[] { Encoding.UTF8.GetBytes(name), Encoding.Unicode.GetBytes(name), Encoding.UTF8.GetBytes(name.ToLowerInvariant()) })
                {
                    if (bytes.AsSpan().IndexOf(encoded) >= 0)
                    {
                        leaks.Add($"name '{name}' inside the site file {relative}");
                    }
                }
            }
        }

        Assert.True(leaks.Count == 0, $"{when}:\n{string.Join('\n', leaks.Distinct())}");
    }

    static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
